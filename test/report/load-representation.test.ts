import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pcaReference, thinIterations, trajectorySubset } from '../../src/analysis/representation-over-time.js';
import type { DriftRow } from '../../src/io/tables.js';
import { ckaGaps } from '../../src/report/load-representation.js';

const driftRow = (iteration: number, gap: number) => ({ iteration, gap, mean: 1, median: 1, p90: 1, max: 1, n: 8 }) as DriftRow;

test('CKA gaps: those of drift.csv, else the memory span S = ceil(M/B), else the drift defaults', () => {
  const iters = [0, 1, 10, 11, 20, 100];
  assert.deepEqual(ckaGaps(iters, { key: 'r', start: 5, drift: [driftRow(10, 10), driftRow(11, 1), driftRow(20, 10), driftRow(20, 0)] }), [1, 10]);
  assert.deepEqual(ckaGaps(iters, { key: 'r', start: 5, drift: null, batchSize: 64, memorySize: 3000 }), [47]);
  assert.deepEqual(ckaGaps(iters, { key: 'r', start: null, drift: [], batchSize: 64, memorySize: 0 }), [1, 10, 100]);
});

test('reference snapshot: the last strictly before the start, else the last; subset and thinning', () => {
  assert.deepEqual(pcaReference([0, 10, 20, 30], 20), { iteration: 10, rule: 'before-start' });
  assert.deepEqual(pcaReference([0, 10, 20, 30], 0), { iteration: 30, rule: 'last' });
  assert.deepEqual(pcaReference([0, 10, 20, 30], null), { iteration: 30, rule: 'last' });
  // 2 rows from each of the 2 smallest labels, in probe order.
  assert.deepEqual(trajectorySubset(Int32Array.from([5, 3, 3, 9, 5, 3, 5]), 2, 2), [0, 1, 2, 4]);
  assert.deepEqual(thinIterations([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4, [5]), [0, 3, 5, 6, 9]);
  assert.deepEqual(thinIterations([0, 1, 2], 4), [0, 1, 2]);
});
