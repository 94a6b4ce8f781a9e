import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { importCycles, importGraph, layerViolations } from './import-graph.ts';

/** A tiny source tree: each file given by its path and text. */
function tree(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const root = tempDir(t);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the walker follows every form of import of a relative module, and nothing else', (t) => {
  const root = tree(t, {
    'a.ts': [
      "import { b } from './b.js';",
      "import type { C } from './c.js';",
      "export { d } from './d.js';",
      "export * from './dir/index.js';",
      "const e = await import('./e.js');",
      "type F = typeof import('./f.js');",
      "import yargs from 'yargs';",
      "import { readFileSync } from 'node:fs';",
      "// import { g } from './g.js';",
      "const text = \"import { h } from './h.js'\";",
    ].join('\n'),
    ...Object.fromEntries(['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => [`${n}.ts`, `export const ${n} = 1;`])),
    'dir/index.ts': 'export const i = 1;',
  });
  const g = importGraph(root);
  assert.deepEqual([...g.get('a.ts')!].sort(), ['b.ts', 'c.ts', 'd.ts', 'dir/index.ts', 'e.ts', 'f.ts']);
});

test('circles: each is found once and printed as a closed path; a file importing itself is one too', (t) => {
  const root = tree(t, {
    'x/a.ts': "import './b.js';",
    'x/b.ts': "import type { C } from './c.js';",
    'x/c.ts': "const a = () => import('./a.js');",
    'y/p.ts': "import '../x/a.js';",
    'z/self.ts': "export * from './self.js';",
  });
  assert.deepEqual(importCycles(importGraph(root)).map((c) => c.join(' -> ')).sort(), ['x/a.ts -> x/b.ts -> x/c.ts -> x/a.ts', 'z/self.ts -> z/self.ts']);
  const acyclic = tree(t, { 'a.ts': "import './b.js';", 'b.ts': "import './c.js';", 'c.ts': '' });
  assert.deepEqual(importCycles(importGraph(acyclic)), []);
});

test('layers: an import down or within a layer is fine; up a layer or across to a sibling is reported with its arrow', () => {
  const layers = [['base.ts'], ['io'], ['train', 'report'], ['cli']];
  const graph = new Map([
    ['io/a.ts', new Set(['base.ts', 'io/b.ts'])],
    ['report/r.ts', new Set(['io/a.ts', 'train/t.ts'])],
    ['io/b.ts', new Set(['cli/main.ts'])],
    ['cli/main.ts', new Set(['report/r.ts', 'train/t.ts', 'base.ts'])],
  ]);
  assert.deepEqual(layerViolations(graph, layers), [
    'io/b.ts -> cli/main.ts (io imports cli, a higher layer)',
    'report/r.ts -> train/t.ts (report imports its sibling train)',
  ]);
});
