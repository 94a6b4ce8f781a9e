import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { LOSS_DEFAULTS, REDUCER_KINDS, createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { readPairStats } from '../../src/losses/pair-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { xbmLoss } from '../../src/memory/xbm-loss.js';
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

test('a training step in the trainer\'s pattern (enqueue, view, variableGrads, kept stats) leaks nothing', () => {
  const rng = new Rng(35);
  const memory = new CrossBatchMemory(20, D);
  const w = tf.variable(tf.randomNormal([D, D], 0, 1, 'float32', 7));
  const loss = createLoss(LOSS_DEFAULTS.contrastive);
  const before = tf.memory().numTensors;
  for (let it = 0; it < 4; it++) {
    const input = matrix(randomRows(rng, 8, D), D);
    const lt = labels(randomLabels(rng, 8, 3));
    const emb = tf.tidy(() => tf.matMul(input, w));
    const slots = memory.enqueue(emb.dataSync() as Float32Array, lt.dataSync() as Int32Array, Int32Array.from({ length: 8 }, (_, i) => it * 8 + i), it);
    emb.dispose();
    const view = memory.view();
    let kept: tf.Tensor[] = [];
    const { value: total, grads } = tf.variableGrads(() => {
      const out = xbmLoss(loss, tf.matMul(input, w), lt, view, slots, 1);
      kept = [out.batchLoss, out.memoryLoss, out.batchStats.active, out.memoryStats.active].map((t) => tf.keep(t));
      return out.loss;
    });
    assert.ok(kept.every((t) => Number.isFinite(value(t))));
    assert.ok(maxRelativeError([value(total)], [value(kept[0]) + value(kept[1])]) <= TOL.float32);
    tf.dispose([input, lt, view, total, grads, kept]);
    assert.equal(tf.memory().numTensors, before, `iteration ${it}`);
  }
  w.dispose();
});

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
