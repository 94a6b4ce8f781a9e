import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAYERS } from '../../src/layers.ts';

/**
 * docs/architecture.md writes the layer order out for a reader; src/layers.ts holds it for the
 * import-graph test. This keeps the two the same list.
 */

const PAGE = readFileSync(fileURLToPath(new URL('../../docs/architecture.md', import.meta.url)), 'utf8');

/**
 * The numbered list after "The layer order": per item, the backticked names before its first colon,
 * leaving out what is in parentheses (`backend/tf.ts` in a description is not a layer); "io/" -> "io".
 */
export function writtenLayers(page: string): string[][] {
  const start = page.indexOf('The layer order');
  assert.ok(start >= 0, 'docs/architecture.md has no paragraph "The layer order"');
  const items: string[] = [];
  for (const line of page.slice(start).split('\n').slice(1)) {
    if (/^\d+\.\s/.test(line)) items.push(line.replace(/^\d+\.\s+/, ''));
    else if (items.length > 0 && /^\s+\S/.test(line)) items[items.length - 1] += ` ${line.trim()}`;
    else if (items.length > 0) break;
  }
  return items.map((item) => {
    const head = item.replace(/\([^)]*\)/g, '').split(':')[0];
    return [...head.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, ''));
  });
}

test('docs/architecture.md lists the layers of src/layers.ts, in its order', () => {
  assert.deepEqual(writtenLayers(PAGE), LAYERS.map((names) => [...names]));
});

test('the written list is read item by item, descriptions and parentheses left out', () => {
  const page = 'The layer order, lowest first.\n\n1. `a.ts`, `b/`: leaves (`c/` is not one).\n2. `d/` (about `e/x.ts`), `f/`:\n   more `g/`.\n\n## Next\n3. `h/`\n';
  assert.deepEqual(writtenLayers(page), [['a.ts', 'b'], ['d', 'f']]);
  assert.notDeepEqual(writtenLayers(page.replace('`d/`', '`e/`')), [['a.ts', 'b'], ['d', 'f']]);
});
