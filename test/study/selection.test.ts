import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Arm } from '../../src/study/arms.js';
import { bestByMean, bestScreened, type ArmRun } from '../../src/study/selection.js';
import { outcome } from './outcomes.js';

const A: Arm = { reducer: 'mean-active', adapt: 'moments', start: '100' };
const B: Arm = { reducer: 'mean-active', adapt: 'sdc', start: '100' };
const C: Arm = { reducer: 'sum-per-query', adapt: 'none', start: '100' };
const base: Arm = { reducer: 'mean-active', adapt: null };
const run = (arm: Arm, r1: number, seed = 1): ArmRun => ({ arm, seed, outcome: outcome(r1) });

test('the screen passes on the two best XBM arms; a better no-XBM arm is not a candidate', () => {
  assert.deepEqual(bestScreened([run(base, 0.9), run(A, 0.5), run(B, 0.7), run(C, 0.6)]), [B, C]);
});

test('stage B uses the candidate with the best mean over the repeated seeds', () => {
  const repeats = [run(B, 0.7, 1), run(B, 0.5, 2), run(C, 0.62, 1), run(C, 0.62, 2), run(base, 0.99, 1)];
  assert.deepEqual(bestByMean([B, C], repeats), C);
});
