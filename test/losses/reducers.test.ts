/**
 * Reducers as parts: hand-derived values on tiny 2-D embeddings (anchor a = (1, 0), so s = the
 * first coordinate and dL/dref_j = G_j * a), the default reducers reproducing the values recorded
 * before reducers existed, bit for bit, tensor hygiene, the registry and the --reducer flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/backend/tf.js';
import { normaliseTrainConfig, resolveTrainConfig, TRAIN_CHOICES } from '../../src/config/train-config.js';
import {
  ContrastiveLoss, KernelLoss, LOSS_DEFAULTS, LOSSES, MultiSimilarityLoss, REDUCER_KINDS, REDUCERS, TripletLoss, createLoss, reducerOf,
  type LossConfig,
} from '../../src/losses/create-loss.js';
import { configMessages } from '../../src/messages/config.js';
import { Rng } from '../../src/random.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { evaluate, labels, matrix, randomLabels, randomRows, userError } from './harness.js';

await tf.setBackend('cpu');

const close = (got: number[], want: number[], what: string) =>
  assert.ok(maxRelativeError(got, want) <= TOL.float32, `${what}: got ${got}, want ${want}`);
const alongA = (g: number[]): number[] => g.flatMap((v) => [v, 0]);
const add = (...vs: number[][]) => vs.reduce((s, v) => s.map((x, k) => x + v[k]));
const scale = (v: number[], c: number) => v.map((x) => x * c);

// Contrastive, margin 0.5. Anchor a = (1, 0), label 0, self at column 0.
// Positives: D (1, 0) a true duplicate, s = 1, term 0; P1 s = 0.6, term 0.4; P2 s = 0.96, term 0.04.
// Negatives: N1 s = 0.8, term 0.3 (the only active one); N2 s = 0, N3 s = -0.6, N4 s = 0.28: term 0.
const CQ = [[1, 0]];
const CREF = [[1, 0], [1, 0], [0.6, 0.8], [0.96, 0.28], [0.8, 0.6], [0, 1], [-0.6, 0.8], [0.28, 0.96]];
const CRL = [0, 0, 0, 0, 1, 1, 2, 2];
const [D, P1, P2, N1] = [CREF[1], CREF[2], CREF[3], CREF[4]];
const contrastiveWith = (reducer?: LossConfig['reducer']) =>
  evaluate(createLoss({ kind: 'contrastive', margin: 0.5, ...(reducer ? { reducer } : {}) }), CQ, [0], CREF, CRL, [0]);

test('contrastive mean-active: one active negative among three inactive ones is averaged over itself, not over four', () => {
  const got = contrastiveWith('mean-active');
  // positives: (0.4 + 0.04) / 2 (the duplicate's term is 0: dropped); negatives: 0.3 / 1.
  close([got.loss], [0.22 + 0.3], 'loss');
  assert.deepEqual([got.positive, got.negative, got.active], [3, 4, 3]);
  // G: D 0, P1 -1/2, P2 -1/2, N1 +1.
  close(got.gradQ.flat(), add(scale(P1, -0.5), scale(P2, -0.5), N1), 'dq');
  close(got.gradRef.flat(), alongA([0, 0, -0.5, -0.5, 1, 0, 0, 0]), 'dref');
});

test('contrastive sum-per-query and mean on the same pairs: the sum over nq = 1, and over the 7 valid pairs', () => {
  const want = add(scale(D, -1), scale(P1, -1), scale(P2, -1), N1); // every positive has dL/ds = -1, the duplicate too
  for (const [reducer, divisor] of [[undefined, 1], ['sum-per-query', 1], ['mean', 7]] as const) {
    const got = contrastiveWith(reducer);
    close([got.loss], [(0.4 + 0.04 + 0.3) / divisor], `${reducer} loss`);
    close(got.gradQ.flat(), scale(want, 1 / divisor), `${reducer} dq`);
    close(got.gradRef.flat(), alongA([0, -1, -1, -1, 1, 0, 0, 0].map((g) => g / divisor)), `${reducer} dref`);
  }
});

// Triplet, margin 0.3 (the fixture of hand-derived.test.ts): positives s = 0.8, 0.28; negatives
// s = 0.6, 0, -1. t: (P1,N1) 0.1, (P2,N1) 0.62, (P2,N2) 0.02; the other three triplets t < 0.
const TQ = [[1, 0]];
const TREF = [[1, 0], [0.8, 0.6], [0.28, 0.96], [0.6, 0.8], [0, 1], [-1, 0]];
const TRL = [0, 0, 0, 1, 1, 2];

test('triplet: mean-active over the 3 triplets with t > 0, mean over all 6 mined, sum-per-query over nq = 1', () => {
  const dS = [0, -1, -2, 2, 1, 0]; // signed counts of the active triplets each pair is in
  for (const [reducer, divisor] of [['mean-active', 3], ['mean', 6], ['sum-per-query', 1]] as const) {
    const got = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'all', reducer }), TQ, [0], TREF, TRL, [0]);
    close([got.loss], [0.74 / divisor], `${reducer} loss`);
    assert.deepEqual([got.positive, got.negative, got.active], [2, 3, 4]);
    close(got.gradRef.flat(), alongA(dS.map((g) => g / divisor)), `${reducer} dref`);
  }
  // hard: one mined triplet (P2, N1), t = 0.62; semi-hard: the band holds 2, both active.
  for (const reducer of REDUCER_KINDS) {
    const hard = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'hard', reducer }), TQ, [0], TREF, TRL, [0]);
    close([hard.loss], [0.62], `hard ${reducer}`);
    const semi = evaluate(createLoss({ kind: 'triplet', margin: 0.3, mining: 'semi-hard', reducer }), TQ, [0], TREF, TRL, [0]);
    close([semi.loss], [reducer === 'sum-per-query' ? 0.12 : 0.06], `semi-hard ${reducer}`);
  }
});

test('multi-similarity: an anchor whose term is 0 counts for mean and sum-per-query, not for mean-active', () => {
  // The fixture of hand-derived.test.ts: anchor a's term, anchor b = (-1, 0) has no positive (term 0).
  const q = [[1, 0], [-1, 0]];
  const ref = [[1, 0], [0.96, 0.28], [0.6, 0.8], [0.8, 0.6], [0.28, 0.96], [-0.6, 0.8]];
  const rl = [0, 0, 0, 1, 1, 2];
  const ep = Math.exp(-2 * (0.6 - 0.5));
  const en = Math.exp(50 * (0.8 - 0.5));
  const term = Math.log(1 + ep) / 2 + Math.log(1 + en) / 50;
  const [wp, wn] = [ep / (1 + ep), en / (1 + en)];
  for (const [reducer, divisor] of [['mean-active', 1], ['mean', 2], ['sum-per-query', 2]] as const) {
    const got = evaluate(createLoss({ ...LOSS_DEFAULTS['multi-similarity'], reducer }), q, [0, 3], ref, rl, [0, -1]);
    close([got.loss], [term / divisor], `${reducer} loss`);
    assert.deepEqual([got.positive, got.negative, got.active], [2, 9, 2]);
    close(got.gradQ.flat(), [...scale(add(scale(ref[2], -wp), scale(ref[3], wn)), 1 / divisor), 0, 0], `${reducer} dq`);
  }
});

/** The fixed case the recorded values were computed on (a query whose self sits in ref). */
function frozenCase() {
  const rng = new Rng(7);
  const q = randomRows(rng, 6, 3);
  const ql = randomLabels(rng, 6, 3);
  const ref = randomRows(rng, 10, 3);
  const rl = randomLabels(rng, 10, 3);
  ref[4] = q[1].slice();
  rl[4] = ql[1];
  return { q, ql, ref, rl, self: [-1, 4, -1, -1, -1, -1] };
}

test('with no reducer named, every loss gives the values and gradients recorded before reducers existed, bit for bit', () => {
  const recorded = JSON.parse(readFileSync(new URL('./fixtures/pre-reducer-values.json', import.meta.url), 'utf8')).values as Record<
    string, { loss: number; gradQ: number[]; gradRef: number[]; active: number }>;
  const { q, ql, ref, rl, self } = frozenCase();
  assert.equal(Object.keys(recorded).length, 5);
  for (const [key, want] of Object.entries(recorded)) {
    const cfg = JSON.parse(key) as LossConfig;
    for (const c of [cfg, { ...cfg, reducer: reducerOf(cfg) }]) {
      const got = evaluate(createLoss(c), q, ql, ref, rl, self);
      assert.deepEqual({ loss: got.loss, gradQ: got.gradQ.flat(), gradRef: got.gradRef.flat(), active: got.active }, want, JSON.stringify(c));
    }
  }
});

test('default reducers: sum-per-query for contrastive and multi-similarity, mean-active for triplet and triplet-global (its PML normalisation)', () => {
  assert.deepEqual(LOSSES.map((d) => [d.kind, d.defaultReducer]), [
    ['contrastive', 'sum-per-query'], ['triplet', 'mean-active'], ['multi-similarity', 'sum-per-query'], ['triplet-global', 'mean-active'],
  ]);
  assert.deepEqual(REDUCER_KINDS, ['sum-per-query', 'mean-active', 'mean']);
  assert.equal(reducerOf({ ...LOSS_DEFAULTS.triplet, reducer: 'mean' }), 'mean');
});

test('every loss x reducer: compute and its gradient leak no tensors, in-batch and against a memory', () => {
  const rng = new Rng(5);
  const x = randomRows(rng, 8, 4);
  const l = randomLabels(rng, 8, 3);
  const m = randomRows(rng, 12, 4);
  const ml = randomLabels(rng, 12, 3);
  const [xt, lt, mt, mlt] = [matrix(x, 4), labels(l), matrix(m, 4), labels(ml)];
  const diagonal = Int32Array.from(l, (_, i) => i);
  const before = tf.memory().numTensors;
  for (const base of Object.values(LOSS_DEFAULTS)) {
    for (const reducer of REDUCER_KINDS) {
      const loss = createLoss({ ...base, reducer });
      const out = loss.compute(xt, lt, xt, lt, diagonal);
      tf.dispose(out);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.add(
        loss.compute(a as tf.Tensor2D, lt, a as tf.Tensor2D, lt, diagonal).loss,
        loss.compute(a as tf.Tensor2D, lt, b as tf.Tensor2D, mlt, new Int32Array(8).fill(-1)).loss,
      ))([xt, mt]);
      const size = tf.tidy(() => grads[0].abs().sum().dataSync()[0]);
      assert.ok(size > 0, `${base.kind} ${reducer} has a gradient`);
      tf.dispose(grads);
    }
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xt, lt, mt, mlt]);
});

test('an unknown reducer is refused by createLoss, naming the known ones; the named classes take one', () => {
  assert.throws(() => createLoss({ ...LOSS_DEFAULTS.contrastive, reducer: 'median' as never }),
    userError(configMessages.unknownChoice('reducer', 'median', REDUCER_KINDS)));
  const c = new ContrastiveLoss(0.5, 'mean');
  assert.ok(c instanceof KernelLoss && c.reducer.kind === 'mean');
  assert.deepEqual(c.config, { kind: 'contrastive', margin: 0.5, reducer: 'mean' });
  assert.deepEqual(new ContrastiveLoss(0.5).config, { kind: 'contrastive', margin: 0.5 });
  assert.equal(new TripletLoss(0.1, 'all').reducer.kind, 'mean-active');
  assert.equal(new MultiSimilarityLoss({ alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 }, 'mean-active').reducer.kind, 'mean-active');
  assert.equal(REDUCERS.length, REDUCER_KINDS.length);
});

test('--reducer: the choices are the registry, config.json records it, a config without it reads as the loss default', () => {
  assert.equal(TRAIN_CHOICES.reducer, REDUCER_KINDS);
  const resolve = (flags: Record<string, unknown>) => resolveTrainConfig({ out: '/tmp/xbm-drift-unused', ...flags });
  assert.deepEqual(resolve({ reducer: 'mean-active' }).loss, { kind: 'contrastive', margin: 0.5, reducer: 'mean-active' });
  assert.deepEqual(resolve({ loss: 'triplet', reducer: 'sum-per-query' }).loss, { ...LOSS_DEFAULTS.triplet, reducer: 'sum-per-query' });
  const plain = resolve({});
  assert.equal(plain.loss.reducer, 'mean-active', 'recorded even when not given (the default is the XBM study\'s since 0.2.0)');
  assert.throws(() => resolve({ reducer: 'median' }), userError(configMessages.unknownChoice('--reducer', 'median', REDUCER_KINDS)));
  // A config.json written before --reducer existed (or before 0.2.0 when not given): no field, the loss's default reducer.
  const { reducer: _recorded, ...olderLoss } = plain.loss;
  const old = normaliseTrainConfig(JSON.parse(JSON.stringify({ ...plain, loss: olderLoss })));
  assert.equal((createLoss(old.loss) as KernelLoss).reducer.kind, 'sum-per-query');
  const roundTrip = normaliseTrainConfig(JSON.parse(JSON.stringify(resolve({ reducer: 'mean' }))));
  assert.equal((createLoss(roundTrip.loss) as KernelLoss).reducer.kind, 'mean');
});

