import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { REDUCER_KINDS, createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { Rng } from '../../src/random.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { evaluate, evaluateInBatch, randomLabels, randomRows } from './harness.js';
import { finiteDifference, naiveLoss, type Mat } from './naive.js';

await tf.setBackend('cpu');

const BASE_CONFIGS: LossConfig[] = [
  { kind: 'contrastive', margin: 0.5 },
  { kind: 'contrastive', margin: 0 },
  { kind: 'triplet', margin: 0.1, mining: 'all' },
  { kind: 'triplet', margin: 0.3, mining: 'all' },
  { kind: 'triplet', margin: 0.1, mining: 'semi-hard' },
  { kind: 'triplet', margin: 0.5, mining: 'semi-hard' },
  { kind: 'triplet', margin: 0.1, mining: 'hard' },
  { kind: 'triplet', margin: 0.5, mining: 'hard' },
  { kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 },
  { kind: 'multi-similarity', alpha: 1, beta: 10, base: 0.2, epsilon: 0.3 },
  { kind: 'triplet-global', margin: 0.1, mining: 'all', globalWeight: 1, globalMargin: 0.4 },
  { kind: 'triplet-global', margin: 0.2, mining: 'semi-hard', globalWeight: 0.5, globalMargin: 1.5 },
  { kind: 'triplet-global', margin: 0.1, mining: 'hard', globalWeight: 2, globalMargin: -2 },
];
// Each loss configuration with no reducer (the loss's default) and with each reducer named.
const CONFIGS: LossConfig[] = BASE_CONFIGS.flatMap((cfg) => [cfg, ...REDUCER_KINDS.map((reducer) => ({ ...cfg, reducer }))]);
const SEEDS = [1, 2, 3];
const D = 4;

const describe = (cfg: LossConfig) => JSON.stringify(cfg);
const flat = (m: Mat) => m.flat();

function assertClose(actual: number, expected: number, what: string) {
  assert.ok(maxRelativeError([actual], [expected]) <= TOL.float32, `${what}: ${actual} vs naive ${expected}`);
}

function assertGradClose(actual: Mat, expected: Mat, what: string) {
  const err = maxRelativeError(flat(actual), flat(expected));
  assert.ok(err <= TOL.float32, `${what}: gradient error ${err}`);
}

/**
 * Queries against a separate reference set: labels 0..3 (label 0 included), a query of a class
 * absent from ref (no positives), a reference of a class absent from the queries, and self
 * indices for half of the queries (ref holds those queries at the given columns).
 */
function crossCase(seed: number) {
  const rng = new Rng(seed);
  const q = randomRows(rng, 8, D);
  const ql = randomLabels(rng, 8, 4);
  ql[0] = 0;
  ql[7] = 9; // single-sample class: no positive in ref
  const ref = randomRows(rng, 20, D);
  const rl = randomLabels(rng, 20, 4);
  rl[19] = 11; // a class no query has
  const self = [-1, -1, -1, -1, -1, -1, -1, -1];
  for (const [i, col] of [[1, 3], [2, 10], [4, 0], [6, 15]]) {
    ref[col] = q[i].slice();
    rl[col] = ql[i];
    self[i] = col;
  }
  return { q, ql, ref, rl, self };
}

for (const cfg of CONFIGS) {
  test(`${describe(cfg)}: value, pair counts and gradients w.r.t. q and ref match the naive reference`, () => {
    const loss = createLoss(cfg);
    for (const seed of SEEDS) {
      const { q, ql, ref, rl, self } = crossCase(seed);
      const got = evaluate(loss, q, ql, ref, rl, self);
      const want = naiveLoss(cfg, q, ql, ref, rl, self);
      assertClose(got.loss, want.loss, `seed ${seed} loss`);
      assert.deepEqual([got.positive, got.negative, got.active], [want.positive, want.negative, want.active], `seed ${seed} counts`);
      assert.ok(want.active > 0, 'the case exercises active pairs');
      assertGradClose(got.gradQ, finiteDifference((x) => naiveLoss(cfg, x, ql, ref, rl, self).loss, q), `seed ${seed} dq`);
      assertGradClose(got.gradRef, finiteDifference((x) => naiveLoss(cfg, q, ql, x, rl, self).loss, ref), `seed ${seed} dref`);
    }
  });

  test(`${describe(cfg)}: in-batch (q and ref the same tensor, self = diagonal) matches the naive reference`, () => {
    const loss = createLoss(cfg);
    for (const seed of SEEDS) {
      const rng = new Rng(100 + seed);
      const x = randomRows(rng, 12, D);
      const l = randomLabels(rng, 12, 3);
      l[0] = 0;
      l[11] = 7; // single-sample class
      const diagonal = l.map((_, i) => i);
      const got = evaluateInBatch(loss, x, l);
      const want = naiveLoss(cfg, x, l, x, l, diagonal);
      assertClose(got.loss, want.loss, `seed ${seed} loss`);
      assert.deepEqual([got.positive, got.negative, got.active], [want.positive, want.negative, want.active], `seed ${seed} counts`);
      assert.ok(want.active > 0, 'the case exercises active pairs');
      // x enters as both query and reference: the gradient has both contributions.
      assertGradClose(got.grad, finiteDifference((y) => naiveLoss(cfg, y, l, y, l, diagonal).loss, x), `seed ${seed} dx`);
    }
  });
}
