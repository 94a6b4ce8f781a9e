import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LAYERS } from '../../src/layers.ts';
import { importCycles, importGraph, type ImportGraph } from './import-graph.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** The layer of a file (a path relative to src/): its rank in LAYERS and its name; undefined when unplaced. */
function layerOf(file: string): { rank: number; name: string } | undefined {
  const top = file.split('/')[0];
  for (const [rank, names] of LAYERS.entries()) if (names.includes(top)) return { rank, name: top };
  return undefined;
}

/** Every import that goes up a layer or across to a sibling, as 'from -> to (layer a -> layer b)'. */
export function layerViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    for (const to of targets) {
      const b = layerOf(to);
      if (!a || !b || a.name === b.name) continue;
      if (b.rank > a.rank) out.push(`${from} -> ${to} (${a.name} imports ${b.name}, a higher layer)`);
      else if (b.rank === a.rank) out.push(`${from} -> ${to} (${a.name} imports its sibling ${b.name})`);
    }
  }
  return out.sort();
}

const graph = importGraph(SRC);

test('every module under src/ belongs to a layer of src/layers.ts', () => {
  const unplaced = [...graph.keys()].filter((f) => layerOf(f) === undefined);
  assert.deepEqual(unplaced, [], `place these in LAYERS (src/layers.ts):\n${unplaced.join('\n')}`);
});

test('no import circles in src/', () => {
  const cycles = importCycles(graph).map((c) => c.join(' -> '));
  assert.deepEqual(cycles, [], `${cycles.length} import circle(s):\n${cycles.join('\n')}`);
});

test('no import from a lower layer to a higher one (src/layers.ts)', () => {
  const arrows = layerViolations(graph);
  assert.deepEqual(arrows, [], `${arrows.length} import(s) against the layer order:\n${arrows.join('\n')}`);
});
