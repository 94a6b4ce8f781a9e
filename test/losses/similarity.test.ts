import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/backend/tf.js';
import { cosineSimilarity } from '../../src/losses/similarity.js';
import { Rng } from '../../src/random.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { matrix, randomRows, toMat } from './harness.js';
import { dot } from './naive.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const flatDiff = (a: tf.Tensor, b: tf.Tensor) => maxRelativeError(a.dataSync(), b.dataSync());

test('cosine similarity of 2-D unit vectors at known angles', async () => {
  await tf.setBackend('cpu');
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  const q = matrix([deg(0), deg(90)], 2);
  const ref = matrix([deg(0), deg(60), deg(90), deg(180)], 2);
  const s = cosineSimilarity(q, ref);
  assert.deepEqual(s.shape, [2, 4]);
  const want = [1, 0.5, 0, -1, 0, Math.sqrt(3) / 2, 1, 0];
  assert.ok(maxRelativeError(s.dataSync(), want) <= TOL.float32, `got ${s.dataSync()}`);
  tf.dispose([q, ref, s]);
});

for (const backend of BACKENDS) {
  test(`${backend}: values match naive dot products; gradients match autograd of matMul(q, ref, false, true)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(5);
    const [qm, rm] = [randomRows(rng, 6, 8), randomRows(rng, 11, 8)];
    const [q, ref, w] = [matrix(qm, 8), matrix(rm, 8), tf.tensor2d(randomRows(rng, 6, 11).flat(), [6, 11])];
    const before = tf.memory().numTensors;

    const s = cosineSimilarity(q, ref);
    const naive = qm.flatMap((a) => rm.map((b) => dot(a, b)));
    assert.ok(maxRelativeError(s.dataSync(), naive) <= TOL.float32);

    // A weighted sum, so dS is not all ones and a transposed dS would show.
    const mine = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(cosineSimilarity(a as tf.Tensor2D, b as tf.Tensor2D), w)))([q, ref]);
    const stock = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b, false, true), w)))([q, ref]);
    assert.ok(flatDiff(mine[0], stock[0]) <= TOL.float32, 'dq');
    assert.ok(flatDiff(mine[1], stock[1]) <= TOL.float32, 'dref');
    // Analytic: dq = W · ref, dref = Wᵀ · q.
    const wm = toMat(w);
    const dq = qm.map((_, i) => rm[0].map((__, k) => rm.reduce((acc, r, j) => acc + wm[i][j] * r[k], 0)));
    assert.ok(maxRelativeError(mine[0].dataSync(), dq.flat()) <= TOL.float32, 'dq analytic');

    tf.dispose([s, ...mine, ...stock]);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    tf.dispose([q, ref, w]);
    await tf.setBackend('cpu');
  });

  test(`${backend}: q and ref as one tensor accumulate both gradient contributions`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(6);
    const x = matrix(randomRows(rng, 7, 5), 5);
    const w = tf.tensor2d(randomRows(rng, 7, 7).flat(), [7, 7]);
    const [mine] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(cosineSimilarity(a as tf.Tensor2D, a as tf.Tensor2D), w)))([x]);
    const [stock] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, a, false, true), w)))([x]);
    // (W + Wᵀ) x: differs from W x alone unless W is symmetric.
    const wx = tf.matMul(w, x);
    assert.ok(flatDiff(mine, stock) <= TOL.float32);
    assert.ok(flatDiff(mine, wx) > 1e-2, 'the ref contribution is present');
    tf.dispose([x, w, mine, stock, wx]);
    await tf.setBackend('cpu');
  });
}

test('forward and backward use only flag-free products (inner dimensions line up)', async () => {
  await tf.setBackend('cpu');
  const q = tf.ones([3, 5]) as tf.Tensor2D;
  const ref = tf.ones([7, 5]) as tf.Tensor2D;
  const products = async (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor) => {
    const info = await tf.profile(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a as tf.Tensor2D, b as tf.Tensor2D)))([q, ref]));
    return info.kernels.filter((k) => k.name === 'BatchMatMul').map((k) => k.inputShapes as number[][]);
  };
  const flagFree = ([a, b]: number[][]) => a[a.length - 1] === b[b.length - 2];
  const mine = await products(cosineSimilarity);
  assert.equal(mine.length, 3, 'forward, dq, dref');
  assert.ok(mine.every(flagFree), JSON.stringify(mine));
  // The check can fail: the stock product with transposeB does not line up.
  const stock = await products((a, b) => tf.matMul(a, b, false, true));
  assert.ok(!stock.every(flagFree));
  tf.dispose([q, ref]);
});
