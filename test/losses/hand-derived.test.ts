/**
 * Tiny 2-D embeddings at known angles (3-4-5 and 7-24-25 triangles), with values and gradients
 * derived by hand from the definitions. Anchor a = (1, 0), so s = the first coordinate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { evaluate } from './harness.js';
import type { Mat } from './naive.js';

await tf.setBackend('cpu');

const close = (got: number[], want: number[], what: string) =>
  assert.ok(maxRelativeError(got, want) <= TOL.float32, `${what}: got ${got}, want ${want}`);
/** dL/dref_j = G_j * a for anchor a = (1, 0): the gradient w.r.t. S, placed in column 0. */
const alongA = (g: number[]): Mat => g.map((v) => [v, 0]);

test('contrastive (margin 0.5): a true duplicate is a positive, self is excluded by index, division by nq', () => {
  // a = (1, 0), label 0, is ref column 0 (self); b = (0, 1), label 2, is ref column 4 (self) and has no positive.
  const q = [[1, 0], [0, 1]];
  const ql = [0, 2];
  const ref = [[1, 0], [1, 0], [0.6, 0.8], [0.8, 0.6], [0, 1], [-0.6, 0.8]];
  const rl = [0, 0, 0, 1, 2, 1];
  const got = evaluate(createLoss({ kind: 'contrastive', margin: 0.5 }), q, ql, ref, rl, [0, 4]);
  // a: duplicate s=1 -> 0, positive s=0.6 -> 0.4, negative s=0.8 -> 0.3, s=0 and s=-0.6 -> 0.
  // b: all five are negatives with s = 0, 0, 0.8, 0.6, 0.8 -> 0.3 + 0.1 + 0.3 = 0.7.
  close([got.loss], [(0.7 + 0.7) / 2], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [2, 8, 5]);
  // a: -(1,0) - (0.6,0.8) + (0.8,0.6); b: (0.6,0.8) + (0.8,0.6) + (-0.6,0.8); both / 2.
  close(got.gradQ.flat(), [-0.4, -0.1, 0.4, 1.1], 'dq');
  // column j gets G_aj * a + G_bj * b, / 2.
  close(got.gradRef.flat(), [0, 0, -0.5, 0, -0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0.5], 'dref');
});

// Anchor a = (1, 0), label 0, self at column 0. Positives P1 s=0.8, P2 s=0.28; negatives
// N1 s=0.6, N2 s=0, N3 s=-1. Margin 0.3; t = s_n + 0.3 - s_p:
//   (P1,N1) 0.1 semi-hard, (P2,N1) 0.62 hard, (P2,N2) 0.02 semi-hard, the rest < 0.
const TQ = [[1, 0]];
const TREF = [[1, 0], [0.8, 0.6], [0.28, 0.96], [0.6, 0.8], [0, 1], [-1, 0]];
const TRL = [0, 0, 0, 1, 1, 2];
const [P1, P2, N1, N2] = [TREF[1], TREF[2], TREF[3], TREF[4]];
const sub = (u: number[], v: number[]) => u.map((x, k) => x - v[k]);
const add = (...vs: number[][]) => vs.reduce((s, v) => s.map((x, k) => x + v[k]));
const scale = (v: number[], c: number) => v.map((x) => x * c);

test('triplet "all" (margin 0.3): mean over the three triplets with t > 0', () => {
  const got = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'all' }), TQ, [0], TREF, TRL, [0]);
  close([got.loss], [(0.1 + 0.62 + 0.02) / 3], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [2, 3, 4]);
  close(got.gradQ.flat(), scale(add(sub(N1, P1), sub(N1, P2), sub(N2, P2)), 1 / 3), 'dq');
  close(got.gradRef.flat(), alongA([0, -1 / 3, -2 / 3, 2 / 3, 1 / 3, 0]).flat(), 'dref');
});

test('triplet "semi-hard" (margin 0.3): only negatives less similar than the positive, within the margin', () => {
  const got = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'semi-hard' }), TQ, [0], TREF, TRL, [0]);
  close([got.loss], [(0.1 + 0.02) / 2], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [2, 3, 4]);
  close(got.gradQ.flat(), scale(add(sub(N1, P1), sub(N2, P2)), 1 / 2), 'dq');
  close(got.gradRef.flat(), alongA([0, -0.5, -0.5, 0.5, 0.5, 0]).flat(), 'dref');
});

test('triplet "hard" (margin 0.3): the least similar positive against the most similar negative', () => {
  const got = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'hard' }), TQ, [0], TREF, TRL, [0]);
  close([got.loss], [0.62], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [2, 3, 2]);
  close(got.gradQ.flat(), sub(N1, P2), 'dq');
  close(got.gradRef.flat(), alongA([0, 0, -1, 1, 0, 0]).flat(), 'dref');
});

test('multi-similarity (2, 50, 0.5, 0.1): mining drops the easy pairs; an anchor without positives adds 0 but counts in nq', () => {
  // a = (1, 0), label 0, self column 0: positives s = 0.96, 0.6; negatives s = 0.8, 0.28, -0.6.
  // max negative 0.8 keeps positives with s - 0.1 < 0.8 (0.6 only); min positive 0.6 keeps
  // negatives with s + 0.1 > 0.6 (0.8 only). b = (-1, 0), label 3, has no positive: skipped.
  const q = [[1, 0], [-1, 0]];
  const ref = [[1, 0], [0.96, 0.28], [0.6, 0.8], [0.8, 0.6], [0.28, 0.96], [-0.6, 0.8]];
  const rl = [0, 0, 0, 1, 1, 2];
  const got = evaluate(createLoss({ kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 }), q, [0, 3], ref, rl, [0, -1]);
  const ep = Math.exp(-2 * (0.6 - 0.5));
  const en = Math.exp(50 * (0.8 - 0.5));
  close([got.loss], [(Math.log(1 + ep) / 2 + Math.log(1 + en) / 50) / 2], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [2, 3 + 6, 2]);
  const [wp, wn] = [ep / (1 + ep), en / (1 + en)];
  close(got.gradQ.flat(), [...scale(add(scale(ref[2], -wp), scale(ref[3], wn)), 0.5), 0, 0], 'dq');
  close(got.gradRef.flat(), alongA([0, 0, -wp / 2, wn / 2, 0, 0]).flat(), 'dref');
});
