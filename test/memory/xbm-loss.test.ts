import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { LOSS_DEFAULTS, REDUCER_KINDS, createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { readPairStats } from '../../src/losses/pair-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { xbmLoss } from '../../src/memory/xbm-loss.js';
import { l2Normalize, type Embedder } from '../../src/model/embedder.js';
import { trainStep } from '../../src/train/step.js';
import { memoryMessages as M } from '../../src/messages/memory.js';
import { Rng } from '../../src/random.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { labels, matrix, randomLabels, randomRows, toMat, userError } from '../losses/harness.js';
import { finiteDifference, naiveLoss, type Mat } from '../losses/naive.js';

await tf.setBackend('cpu');

// Each loss with its default reducer and with each reducer named.
const ALL: LossConfig[] = Object.values(LOSS_DEFAULTS).flatMap((cfg) => [cfg, ...REDUCER_KINDS.map((reducer) => ({ ...cfg, reducer }))]);
const describe = (cfg: LossConfig) => `${cfg.kind}${cfg.reducer ? ` (${cfg.reducer})` : ''}`;
const D = 4;
const value = (t: tf.Tensor) => t.dataSync()[0];

/** A batch with label 0 and a single-sample class. */
function makeBatch(seed: number, n = 12) {
  const rng = new Rng(seed);
  const x = randomRows(rng, n, D);
  const l = randomLabels(rng, n, 3);
  l[0] = 0;
  l[n - 1] = 8;
  return { x, l };
}

const enqueueMat = (memory: CrossBatchMemory, x: Mat, l: number[], firstId: number, iteration: number) =>
  memory.enqueue(Float32Array.from(x.flat()), Int32Array.from(l), Int32Array.from(l, (_, i) => firstId + i), iteration);

for (const cfg of ALL) {
  test(`${describe(cfg)}: a memory holding exactly the current batch gives memory loss == batch loss`, () => {
    const { x, l } = makeBatch(31);
    const loss = createLoss(cfg);
    // Capacity = batch: after an earlier batch the current one sits in rotated slots too.
    for (const previous of [0, 5]) {
      const memory = new CrossBatchMemory(x.length, D);
      if (previous > 0) enqueueMat(memory, randomRows(new Rng(1), previous, D), new Array(previous).fill(0), 100, 0);
      const slots = enqueueMat(memory, x, l, 0, 1);
      const [bt, lt, view] = [matrix(x, D), labels(l), memory.view()];
      const out = xbmLoss(loss, bt, lt, view, slots, 0.5);
      assert.ok(value(out.batchLoss) > 0);
      assert.ok(maxRelativeError([value(out.memoryLoss)], [value(out.batchLoss)]) <= TOL.float32, `after ${previous}`);
      assert.deepEqual(readPairStats(out.memoryStats), readPairStats(out.batchStats));
      assert.ok(maxRelativeError([value(out.loss)], [1.5 * value(out.batchLoss)]) <= TOL.float32);
      tf.dispose([bt, lt, view, out]);
    }
  });

  test(`${describe(cfg)}: loss and gradient match batch + weight * memory from the naive reference; the memory is a constant`, () => {
    const { x, l } = makeBatch(32, 8);
    const memory = new CrossBatchMemory(13, D);
    const old = makeBatch(33, 10);
    enqueueMat(memory, old.x, old.l, 100, 0);
    const slots = enqueueMat(memory, x, l, 0, 1); // wraps: 10 + 8 > 13
    const mem = memory.entries().sort((a, b) => a.slot - b.slot);
    const [mx, ml] = [mem.map((e) => Array.from(e.embedding)), mem.map((e) => e.label)];
    const diagonal = l.map((_, i) => i);
    const weight = 0.7;
    const naive = (y: Mat) => naiveLoss(cfg, y, l, y, l, diagonal).loss + weight * naiveLoss(cfg, y, l, mx, ml, Array.from(slots)).loss;

    const [bt, lt, view] = [matrix(x, D), labels(l), memory.view()];
    const before = tf.memory().numTensors;
    const out = xbmLoss(createLoss(cfg), bt, lt, view, slots, weight);
    assert.ok(maxRelativeError([value(out.loss)], [naive(x)]) <= TOL.float32);
    const want = naiveLoss(cfg, x, l, mx, ml, Array.from(slots));
    assert.deepEqual(readPairStats(out.memoryStats), { positive: want.positive, negative: want.negative, active: want.active });
    tf.dispose(out);
    // Gradient w.r.t. the batch only through the queries of the memory term (memory entries held fixed).
    const [g] = tf.grads((b: tf.Tensor) => xbmLoss(createLoss(cfg), b as tf.Tensor2D, lt, view, slots, weight).loss)([bt]);
    const err = maxRelativeError(toMat(g).flat(), finiteDifference(naive, x).flat());
    assert.ok(err <= TOL.float32, `gradient error ${err}`);
    g.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    tf.dispose([bt, lt, view]);
  });
}

test('no memory (null or empty): memory loss 0, zero stats, loss == batch loss; nothing leaks', () => {
  const { x, l } = makeBatch(34);
  const [bt, lt] = [matrix(x, D), labels(l)];
  const empty = new CrossBatchMemory(8, D).view();
  const before = tf.memory().numTensors;
  for (const memory of [null, empty]) {
    const out = xbmLoss(createLoss(LOSS_DEFAULTS.contrastive), bt, lt, memory, null, 1);
    assert.equal(value(out.memoryLoss), 0);
    assert.deepEqual(readPairStats(out.memoryStats), { positive: 0, negative: 0, active: 0 });
    assert.ok(value(out.batchLoss) > 0);
    assert.equal(value(out.loss), value(out.batchLoss));
    tf.dispose(out);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([bt, lt, empty]);
});

/**
 * The real step (train/step.ts trainStep), not a copy of it, against a naive float64 reference of
 * the whole XBM iteration: embed the batch, enqueue its (detached) rows into the FIFO memory
 * before the loss, L(b,b; diagonal) + w L(b,M; the slots just written), one SGD update. The
 * embedder is a linear map with L2 norm, whose forward pass the reference writes out too.
 */
const P = 6; // input width (a 2 x 3 x 1 image)
const SHAPE: [number, number, number] = [2, 3, 1];

function linearEmbedder(w: Mat): Embedder {
  const variable = tf.variable(tf.tensor2d(w.flat(), [P, D]), true);
  return {
    config: { kind: 'mlp', hidden: [], dim: D } as unknown as Embedder['config'], inputShape: SHAPE, dim: D, variables: [variable],
    apply: (x) => tf.tidy(() => l2Normalize(tf.matMul(tf.reshape(x, [x.shape[0], P]) as tf.Tensor2D, variable))),
  };
}

/** normalize(x W), row by row, in float64. */
const naiveEmbed = (x: Mat, w: Mat): Mat => x.map((row) => {
  const e = Array.from({ length: D }, (_, k) => row.reduce((s, v, i) => s + v * w[i][k], 0));
  const norm = Math.sqrt(e.reduce((s, v) => s + v * v, 0) + 1e-12);
  return e.map((v) => v / norm);
});

for (const cfg of ALL) {
  test(`${describe(cfg)}: the real trainStep (loss, memory, SGD update) equals the naive XBM iteration; nothing leaks`, () => {
    const rng = new Rng(36);
    const capacity = 13;
    const n = 8;
    const weight = 0.7;
    const lr = 0.5;
    const w0 = randomRows(rng, P, D);
    const x = randomRows(rng, n, P);
    const l = randomLabels(rng, n, 3);
    l[n - 1] = 8; // a class with a single sample
    const old = makeBatch(37, 10);
    const model = linearEmbedder(w0);
    const memory = new CrossBatchMemory(capacity, D);
    enqueueMat(memory, old.x, old.l, 100, 0);
    const optimizer = tf.train.sgd(lr);
    const before = tf.memory().numTensors;
    const r = trainStep(model, createLoss(cfg), optimizer, memory,
      { pixels: Float32Array.from(x.flat()), labels: Int32Array.from(l), sampleIds: Int32Array.from(l, (_, i) => i), iteration: 1 },
      { enqueue: true, memoryLoss: true, weight, keepEmbeddings: false });
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');

    // The reference: a FIFO of `capacity` rows holding the old batch, then this batch's rows at the next slots (wrapping).
    const e0 = naiveEmbed(x, w0);
    const mx = old.x.map((row) => row.slice());
    const ml = old.l.slice();
    const slots = e0.map((row, i) => {
      const slot = (old.x.length + i) % capacity;
      mx[slot] = row;
      ml[slot] = l[i];
      return slot;
    });
    const diagonal = l.map((_, i) => i);
    const terms = (w: Mat) => {
      const e = naiveEmbed(x, w);
      return { batch: naiveLoss(cfg, e, l, e, l, diagonal), memory: naiveLoss(cfg, e, l, mx, ml, slots) };
    };
    const f = (w: Mat) => { const t = terms(w); return t.batch.loss + weight * t.memory.loss; };
    const want = terms(w0);
    assert.ok(maxRelativeError([r.batchLoss, r.memoryLoss, r.loss], [want.batch.loss, want.memory.loss, f(w0)]) <= TOL.float32, 'losses');
    assert.deepEqual(r.memoryStats, { positive: want.memory.positive, negative: want.memory.negative, active: want.memory.active });
    assert.ok(r.memoryLoss > 0 && r.memoryStats.positive > 0, 'the memory term acted');
    const stored = memory.entries().sort((a, b) => a.slot - b.slot);
    assert.ok(maxRelativeError(stored.flatMap((e) => Array.from(e.embedding)), mx.flat()) <= TOL.float32, 'the memory holds the batch before the update');
    assert.deepEqual(stored.map((e) => e.label), ml);
    // One SGD step on the memory-as-constant objective: w1 = w0 - lr * df/dw.
    const grad = finiteDifference(f, w0);
    const w1 = w0.map((row, i) => row.map((v, k) => v - lr * grad[i][k]));
    assert.ok(maxRelativeError(Array.from(model.variables[0].dataSync()), w1.flat()) <= TOL.float32, 'the update');
    optimizer.dispose();
    model.variables[0].dispose();
  });
}

test('bad arguments are rejected with the defined messages before anything is computed', () => {
  const loss = createLoss(LOSS_DEFAULTS.contrastive);
  const [bt, lt] = [matrix([[1, 0, 0, 0], [0, 1, 0, 0]], D), labels([0, 1])];
  const memory = new CrossBatchMemory(4, 3);
  memory.enqueue(new Float32Array(6), Int32Array.from([0, 1]), Int32Array.from([0, 1]), 0);
  const narrow = memory.view();
  const wide = { embeddings: tf.zeros([3, D]) as tf.Tensor2D, labels: labels([0, 1, 2]) };
  const before = tf.memory().numTensors;
  assert.throws(() => xbmLoss(loss, bt, lt, null, null, -1), userError(M.badWeight(-1)));
  assert.throws(() => xbmLoss(loss, bt, lt, null, null, NaN), userError(M.badWeight(NaN)));
  assert.throws(() => xbmLoss(loss, bt, lt, narrow, null, 1), userError(M.memoryWidth(3, D)));
  assert.throws(() => xbmLoss(loss, bt, lt, wide, Int32Array.from([0]), 1), userError(M.selfSlotsLength(1, 2)));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([bt, lt, narrow, wide]);
});
