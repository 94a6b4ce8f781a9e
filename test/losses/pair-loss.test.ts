import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/backend/tf.js';
import { LOSS_DEFAULTS, createLoss } from '../../src/losses/create-loss.js';
import { pairMask, readPairStats } from '../../src/losses/pair-loss.js';
import { lossesMessages as M } from '../../src/messages/losses.js';
import { Rng } from '../../src/random.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { evaluate, labels, matrix, randomLabels, randomRows, userError } from './harness.js';
import { naiveLoss } from './naive.js';

await tf.setBackend('cpu');

const ALL = Object.values(LOSS_DEFAULTS);

test('pair mask: self excluded by index only; an identical same-label row elsewhere stays a positive; label 0 is ordinary', () => {
  const q = matrix([[1, 0], [0, 1]], 2);
  const ref = matrix([[1, 0], [1, 0], [0, 1]], 2);
  const [ql, rl] = [labels([0, 0]), labels([0, 0, 0])];
  const m = pairMask(q, ql, ref, rl, Int32Array.from([0, -1]));
  assert.deepEqual(Array.from(m.kind), [0, 1, 1, 1, 1, 1]);
  assert.deepEqual([m.positive, m.negative], [5, 0]);
  tf.dispose([q, ref, ql, rl]);
});

for (const cfg of ALL) {
  test(`${cfg.kind}: a duplicate of the query (same label, identical embedding) is counted as a positive`, () => {
    const rng = new Rng(21);
    const q = randomRows(rng, 3, 4);
    const ql = [0, 1, 0];
    const ref = [q[0], q[0].slice(), ...randomRows(rng, 6, 4)];
    const rl = [0, 0, 0, 1, 1, 2, 0, 1];
    const got = evaluate(createLoss(cfg), q, ql, ref, rl, [0, -1, -1]);
    const want = naiveLoss(cfg, q, ql, ref, rl, [0, -1, -1]);
    // query 0: its duplicate (column 1) and columns 2, 6; query 1: 3, 4, 7; query 2 (no self): 0, 1, 2, 6.
    assert.equal(got.positive, 3 + 3 + 4);
    assert.equal(got.positive, want.positive);
    assert.ok(maxRelativeError([got.loss], [want.loss]) <= TOL.float32);
  });

  test(`${cfg.kind}: single-sample classes only (no positives anywhere) give finite values and gradients`, () => {
    const rng = new Rng(22);
    const x = randomRows(rng, 5, 3);
    const l = [0, 1, 2, 3, 4];
    const got = evaluate(createLoss(cfg), x, l, x, l, [0, 1, 2, 3, 4]);
    const want = naiveLoss(cfg, x, l, x, l, [0, 1, 2, 3, 4]);
    assert.equal(got.positive, 0);
    assert.equal(got.negative, 20);
    assert.ok(maxRelativeError([got.loss], [want.loss]) <= TOL.float32);
    assert.ok(got.gradQ.flat().every(Number.isFinite) && got.gradRef.flat().every(Number.isFinite));
  });

  for (const backend of ['cpu', 'wasm']) {
    test(`${backend} ${cfg.kind}: an empty reference set gives loss 0, zero stats and zero gradients`, async () => {
      await tf.setBackend(backend);
      const loss = createLoss(cfg);
      const q = matrix(randomRows(new Rng(3), 4, 3), 3);
      const ref = tf.zeros([0, 3]) as tf.Tensor2D;
      const [ql, rl] = [labels([0, 1, 0, 1]), tf.tensor1d([], 'int32')];
      const before = tf.memory().numTensors;
      const out = loss.compute(q, ql, ref, rl);
      assert.equal(out.loss.dataSync()[0], 0);
      assert.deepEqual(readPairStats(out.stats), { positive: 0, negative: 0, active: 0 });
      const [g] = tf.grads((a: tf.Tensor) => loss.compute(a as tf.Tensor2D, ql, ref, rl).loss)([q]);
      assert.deepEqual(Array.from(g.dataSync()), new Array(12).fill(0));
      tf.dispose([out.loss, out.stats, g]);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([q, ref, ql, rl]);
      await tf.setBackend('cpu');
    });
  }

  test(`${cfg.kind}: no tensors leak from compute, tf.grads or tf.variableGrads with kept stats`, () => {
    const loss = createLoss(cfg);
    const rng = new Rng(23);
    const x = matrix(randomRows(rng, 16, 4), 4);
    const l = labels(randomLabels(rng, 16, 4));
    const diag = Int32Array.from({ length: 16 }, (_, i) => i);
    const w = tf.variable(tf.eye(4));
    const before = tf.memory().numTensors;

    const out = loss.compute(x, l, x, l, diag);
    tf.dispose([out.loss, out.stats]);
    assert.equal(tf.memory().numTensors, before, 'compute');

    tf.dispose(tf.grads((a: tf.Tensor) => loss.compute(a as tf.Tensor2D, l, a as tf.Tensor2D, l, diag).loss)([x]));
    assert.equal(tf.memory().numTensors, before, 'tf.grads');

    // The trainer's pattern: stats kept out of variableGrads' scope, read after the step.
    let stats: ReturnType<typeof loss.compute>['stats'] | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const e = tf.matMul(x, w) as tf.Tensor2D;
      const out = loss.compute(e, l, e, l, diag);
      stats = { positive: tf.keep(out.stats.positive), negative: tf.keep(out.stats.negative), active: tf.keep(out.stats.active) };
      return out.loss;
    });
    const read = readPairStats(stats!);
    assert.ok(read.positive > 0 && read.negative > 0 && Number.isFinite(value.dataSync()[0]));
    assert.ok(Object.values(grads)[0].dataSync().some((v) => v !== 0), 'a gradient reaches the variable');
    tf.dispose([value, grads, stats!]);
    assert.equal(tf.memory().numTensors, before, 'tf.variableGrads');
    tf.dispose([x, l, w]);
  });
}

test('stats are independent tensors: they stay readable after the loss is disposed', () => {
  const rng = new Rng(24);
  const x = matrix(randomRows(rng, 6, 3), 3);
  const l = labels([0, 0, 1, 1, 2, 2]);
  const out = createLoss(LOSS_DEFAULTS.contrastive).compute(x, l, x, l, Int32Array.from([0, 1, 2, 3, 4, 5]));
  out.loss.dispose();
  assert.deepEqual(readPairStats(out.stats).positive, 6);
  assert.equal(readPairStats(out.stats).negative, 24);
  tf.dispose([out.stats, x, l]);
});

test('bad inputs are rejected with the defined messages, naming the argument', () => {
  const loss = createLoss(LOSS_DEFAULTS.contrastive);
  const q = tf.zeros([2, 3]) as tf.Tensor2D;
  const ref = tf.zeros([4, 3]) as tf.Tensor2D;
  const narrow = tf.zeros([4, 2]) as tf.Tensor2D;
  const [ql, rl] = [labels([0, 1]), labels([0, 1, 2, 3])];
  const floatLabels = tf.tensor1d([0, 1], 'float32');
  const vector = tf.zeros([3]) as unknown as tf.Tensor2D;
  assert.throws(() => loss.compute(vector, ql, ref, rl), userError(M.notMatrix('q', [3])));
  assert.throws(() => loss.compute(q, ql, narrow, rl), userError(M.dimMismatch(3, 2)));
  assert.throws(() => loss.compute(q, rl, ref, rl), userError(M.labelsShape('qLabels', [4], 2)));
  assert.throws(() => loss.compute(q, floatLabels, ref, rl), userError(M.labelsDtype('qLabels', 'float32')));
  assert.throws(() => loss.compute(q, ql, ref, rl, Int32Array.from([0])), userError(M.selfIndexLength(1, 2)));
  assert.throws(() => loss.compute(q, ql, ref, rl, Int32Array.from([0, 4])), userError(M.selfIndexRange(1, 4, 4)));
  tf.dispose([q, ref, narrow, ql, rl, floatLabels, vector]);
});

for (const cfg of ALL) {
  test(`wasm ${cfg.kind}: value and gradients equal the cpu backend's`, async () => {
    const rng = new Rng(25);
    const [q, ref] = [randomRows(rng, 6, 5), randomRows(rng, 30, 5)];
    const [ql, rl] = [randomLabels(rng, 6, 3), randomLabels(rng, 30, 3)];
    const loss = createLoss(cfg);
    const onCpu = evaluate(loss, q, ql, ref, rl);
    await tf.setBackend('wasm');
    const onWasm = evaluate(loss, q, ql, ref, rl);
    await tf.setBackend('cpu');
    assert.ok(onCpu.active > 0);
    assert.deepEqual([onWasm.positive, onWasm.negative, onWasm.active], [onCpu.positive, onCpu.negative, onCpu.active]);
    assert.ok(maxRelativeError([onWasm.loss], [onCpu.loss]) <= TOL.float32);
    assert.ok(maxRelativeError(onWasm.gradQ.flat(), onCpu.gradQ.flat()) <= TOL.float32);
    assert.ok(maxRelativeError(onWasm.gradRef.flat(), onCpu.gradRef.flat()) <= TOL.float32);
  });
}
