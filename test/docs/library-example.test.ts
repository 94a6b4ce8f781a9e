import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The example on docs/library-api.md is library-example.ts beside this test, which the project's
 * typecheck (npm test runs it first) compiles against src/: so the example a newcomer copies
 * compiles against today's API. Here: the page shows exactly that file, importing the package by name.
 */

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

/** The page's ```ts blocks. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

test('docs/library-api.md shows library-example.ts, the typechecked example, as a user imports it', () => {
  const example = read('./library-example.ts').replace("from '../../src/index.ts'", "from 'xbm-drift'");
  assert.deepEqual(tsBlocks(read('../../docs/library-api.md')), [example]);
});

test('the page\'s ts blocks are found, and a changed block is told apart', () => {
  const page = 'Text\n\n```ts\nconst a = 1;\n```\n\n```\nnot ts\n```\n';
  assert.deepEqual(tsBlocks(page), ['const a = 1;\n']);
  assert.notDeepEqual(tsBlocks(page.replace('a = 1', 'a = 2')), tsBlocks(page));
});
