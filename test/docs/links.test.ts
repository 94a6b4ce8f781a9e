import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import { README_MAX_LINES, checkDocs, headingAnchors, headingSlug, pathMentions, relativeLinks } from './doc-links.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('README.md and docs/*.md: every relative link resolves, every page is linked, every page says what it covers, the README is short', () => {
  assert.deepEqual(checkDocs(ROOT), []);
});

test('headings get the anchors GitHub gives them', () => {
  assert.equal(headingSlug('Memory compensation (`--xbm-adapt`)'), 'memory-compensation---xbm-adapt');
  assert.equal(headingSlug('Parity with the reference implementations (`--parity`)'), 'parity-with-the-reference-implementations---parity');
  assert.equal(headingSlug('Defaults, and why'), 'defaults-and-why');
  assert.equal(headingSlug('Main `train` flags'), 'main-train-flags');
  assert.equal(headingSlug('scratch-16: mnist2 from scratch, batch 16 (4 x 4), Adam 1e-3'), 'scratch-16-mnist2-from-scratch-batch-16-4-x-4-adam-1e-3');
  assert.equal(headingSlug('See [the API](docs/library-api.md)'), 'see-the-api');
  assert.deepEqual([...headingAnchors('# A\n\n## B\n\n```\n## not a heading\n```\n\n## B\n')], ['a', 'b', 'b-1']);
});

test('links inside code are not links; web links are not checked', () => {
  const md = 'see [a](a.md#x) and ![f](f.png)\n`[b](b.md)` [w](https://example.org)\n```\n[c](c.md)\n```\n';
  assert.deepEqual(relativeLinks(md), [{ target: 'a.md#x', line: 1 }, { target: 'f.png', line: 1 }]);
});

test('repository paths in code spans are found; patterns and code blocks are not', () => {
  const md = 'see `src/io/csv.ts` and `test/x.test.ts` (`src/<name>.ts`, `runs/a`)\n```\n`src/in-block.ts`\n```\n';
  assert.deepEqual(pathMentions(md), [{ target: 'src/io/csv.ts', line: 1 }, { target: 'test/x.test.ts', line: 1 }]);
});

/** A small documentation tree that passes, for the tests below to break one thing at a time. */
function goodTree(t: Parameters<typeof tempDir>[0]): string {
  const root = tempDir(t);
  mkdirSync(join(root, 'docs'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data', 'fig.png'), '');
  writeFileSync(join(root, 'README.md'), '# Tool\n\n## Start\n\nRead [a](docs/a.md#section-one), see ![fig](data/fig.png) and [below](#start).\n');
  writeFileSync(join(root, 'docs', 'a.md'), '# A\n\nWhat a covers.\n\n## Section one\n\nThen [b](b.md) and [back](../README.md#tool).\n');
  writeFileSync(join(root, 'docs', 'b.md'), '# B\n\nOnly [a](./a.md).\n');
  return root;
}

test('the check passes on a good tree', (t) => {
  assert.deepEqual(checkDocs(goodTree(t)), []);
});

test('the check names a link to a missing file', (t) => {
  const root = goodTree(t);
  writeFileSync(join(root, 'docs', 'b.md'), '# B\n\nOnly [a](./a.md) and [gone](gone.md).\n');
  assert.deepEqual(checkDocs(root), ['docs/b.md:3: gone.md: no file docs/gone.md']);
});

test('the check names an anchor no heading defines, in another page and in the same page', (t) => {
  const root = goodTree(t);
  writeFileSync(join(root, 'README.md'), '# Tool\n\nRead [a](docs/a.md#section-two) and [here](#nowhere).\n');
  assert.deepEqual(checkDocs(root), [
    'README.md:3: docs/a.md#section-two: docs/a.md has no heading #section-two',
    'README.md:3: #nowhere: README.md has no heading #nowhere',
  ]);
});

test('the check names a page nothing reachable from the README links', (t) => {
  const root = goodTree(t);
  writeFileSync(join(root, 'docs', 'c.md'), '# C\n\nLinks out to [a](a.md), but nothing links here.\n');
  assert.deepEqual(checkDocs(root), ['docs/c.md: not linked from README.md, directly or through a page it links']);
});

test('the check names a page that does not open with a title and a sentence', (t) => {
  const root = goodTree(t);
  writeFileSync(join(root, 'docs', 'b.md'), '# B\n\n## Straight to a section\n\nOnly [a](./a.md).\n');
  assert.deepEqual(checkDocs(root), ['docs/b.md: does not start with a title (# ...), a blank line and a sentence saying what the page covers']);
});

test('the check names a source path that does not exist, not a pattern nor a folder the program makes', (t) => {
  const root = goodTree(t);
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'here.ts'), '');
  writeFileSync(join(root, '.gitignore'), 'node_modules/\ndata/cache/\n*.tmp\n');
  writeFileSync(join(root, 'docs', 'b.md'), '# B\n\nOnly [a](./a.md): `src/here.ts`, `src/<name>.ts`, `data/cache/` and `src/gone.ts`.\n');
  assert.deepEqual(checkDocs(root), ['docs/b.md:3: names src/gone.ts, which does not exist']);
});

test('the check refuses a README of 300 lines or more', (t) => {
  const root = goodTree(t);
  const body = '# Tool\n\n[a](docs/a.md)\n' + 'line\n'.repeat(README_MAX_LINES - 3);
  writeFileSync(join(root, 'README.md'), body);
  assert.deepEqual(checkDocs(root), [`README.md: ${README_MAX_LINES} lines, at most ${README_MAX_LINES - 1} (move detail into docs/)`]);
  writeFileSync(join(root, 'README.md'), '# Tool\n\n[a](docs/a.md)\n' + 'line\n'.repeat(README_MAX_LINES - 4));
  assert.deepEqual(checkDocs(root), []);
});
