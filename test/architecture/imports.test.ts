import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LAYERS } from '../../src/layers.ts';
import { importCycles, importGraph, layerOf, layerViolations } from './import-graph.ts';

const SRC = join(import.meta.dirname, '..', '..', 'src');

const graph = importGraph(SRC);

test('every module under src/ belongs to a layer of src/layers.ts', () => {
  const unplaced = [...graph.keys()].filter((f) => layerOf(LAYERS, f) === undefined);
  assert.deepEqual(unplaced, [], `place these in LAYERS (src/layers.ts):\n${unplaced.join('\n')}`);
});

test('no import circles in src/', () => {
  const cycles = importCycles(graph).map((c) => c.join(' -> '));
  assert.deepEqual(cycles, [], `${cycles.length} import circle(s):\n${cycles.join('\n')}`);
});

test('no import from a lower layer to a higher one (src/layers.ts)', () => {
  const arrows = layerViolations(graph, LAYERS);
  assert.deepEqual(arrows, [], `${arrows.length} import(s) against the layer order:\n${arrows.join('\n')}`);
});
