import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, truncateSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/backend/tf.js';
import { initBackend } from '../../src/backend/init-backend.js';
import { createBackboneEmbedder, loadBackbone, type BackboneInput } from '../../src/model/backbone.js';
import { checkpointVariables } from '../../src/model/embedder.js';
import { createOptimizer } from '../../src/train/param-groups.js';
import { modelMessages as M } from '../../src/messages/model.js';
import { Rng } from '../../src/random.js';
import { tempDir } from '../helpers/tmp.js';
import { graphWeights, writeGraphBackbone, writeLayersBackbone } from './backbone-fixtures.js';

const DIGITS2: BackboneInput = { dataset: 'mnist2', imageShape: [28, 56, 1], normalization: 'none', resizable: false };
const SMALL: BackboneInput = { dataset: 'test', imageShape: [6, 10, 1], normalization: 'none', resizable: false };

before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

function images(n: number, [h, w, c]: readonly number[], seed = 3): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => rng.next()), [n, h, w, c]);
}

test('a LayersModel backbone loads from disk without tfjs-node, BN on inference statistics, output L2-normalised', async (t) => {
  const dir = tempDir(t);
  const path = await writeLayersBackbone(join(dir, 'bb'));
  const before = tf.memory().numTensors;
  const e = await createBackboneEmbedder({ source: path, lrMult: 1, freeze: false }, path, 5, SMALL, new Rng(1));
  const x = images(3, SMALL.imageShape);
  const y = e.apply(x);
  assert.deepEqual(y.shape, [3, 5]);
  const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(y), 1)).arraySync() as number[]);
  for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5);
  // Reference: the model's own predict() (inference mode: BN on moving statistics) -> mean over h, w -> head -> L2.
  const ref = await loadBackbone(path);
  const head = new Map(checkpointVariables(e).map((v) => [v.key, v.variable]));
  const expected = tf.tidy(() => {
    const f = tf.mean(ref.layers!.predict(x) as tf.Tensor4D, [1, 2]) as tf.Tensor2D;
    const z = tf.add(tf.matMul(f, head.get('head/kernel')! as tf.Tensor2D), head.get('head/bias')!);
    return tf.div(z, tf.norm(z, 2, 1, true)).arraySync() as number[][];
  });
  const got = y.arraySync() as number[][];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(got[i][j] - expected[i][j]) < 1e-5, `[${i},${j}] ${got[i][j]} vs ${expected[i][j]}`);
  // Checkpoint keys: stable names from model.json, BN statistics included; trainable = kernels, biases, gamma, beta + head.
  assert.deepEqual(checkpointVariables(e).map((v) => v.key), [
    'backbone/c1/kernel', 'backbone/c1/bias', 'backbone/bn/gamma', 'backbone/bn/beta', 'backbone/c2/kernel', 'backbone/c2/bias',
    'backbone/bn/moving_mean', 'backbone/bn/moving_variance', 'head/kernel', 'head/bias',
  ]);
  assert.equal(e.variables.length, 8);
  ref.layers!.dispose();
  x.dispose();
  y.dispose();
  tf.disposeVariables();
  e.dispose?.();
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
});

test('a GraphModel backbone (hand-written model.json) is a frozen feature extractor: only the head trains', async (t) => {
  const dir = tempDir(t);
  const path = writeGraphBackbone(join(dir, 'graph'));
  const e = await createBackboneEmbedder({ source: path, lrMult: 0.1, freeze: false }, path, 3, DIGITS2, new Rng(1));
  assert.deepEqual(checkpointVariables(e).map((v) => v.key), ['head/kernel', 'head/bias']);
  assert.deepEqual(e.variables, checkpointVariables(e).map((v) => v.variable));
  assert.deepEqual(e.lrGroups, []);
  // Features match a naive conv + bias + ReLU with the same weights.
  const { filter, bias } = graphWeights();
  const x = images(2, DIGITS2.imageShape);
  const got = e.apply(x).arraySync() as number[][];
  const expected = tf.tidy(() => {
    const f = tf.relu(tf.add(tf.conv2d(x, tf.tensor4d(filter, [3, 3, 1, 4]), 1, 'same'), tf.tensor1d(bias)));
    const z = tf.add(tf.matMul(tf.mean(f, [1, 2]) as tf.Tensor2D, e.variables[0] as tf.Tensor2D), e.variables[1]);
    return tf.div(z, tf.norm(z, 2, 1, true)).arraySync() as number[][];
  });
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(got[i][j] - expected[i][j]) < 1e-5);
  x.dispose();
  tf.disposeVariables();
  e.dispose?.();
});

test('--backbone-lr-mult with Adam: backbone steps at lr x mult, head at lr, exactly as a naive Adam per group', async (t) => {
  const dir = tempDir(t);
  const path = await writeLayersBackbone(join(dir, 'bb'));
  const lr = 0.01;
  const mult = 0.25;
  const e = await createBackboneEmbedder({ source: path, lrMult: mult, freeze: false }, path, 4, SMALL, new Rng(2));
  const optimizer = createOptimizer({ kind: 'adam', lr, momentum: 0 }, e);
  const backbone = new Set(e.lrGroups![0].variables.map((v) => v.name));
  const x = images(4, SMALL.imageShape, 9);
  const direction = tf.tensor2d(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + 1)), [4, 4]);
  const loss = () => tf.sum(tf.mul(e.apply(x), direction)) as tf.Scalar;
  // Naive Adam in float64, variable by variable (beta1 0.9, beta2 0.999, epsilon 1e-7: tfjs's defaults).
  const w = e.variables.map((v) => Float64Array.from(v.dataSync()));
  const m = w.map((a) => new Float64Array(a.length));
  const s = w.map((a) => new Float64Array(a.length));
  const frozenBefore = checkpointVariables(e).filter((v) => v.key.includes('moving_')).map((v) => Array.from(v.variable.dataSync()));
  for (let step = 1; step <= 3; step++) {
    const { grads, value } = tf.variableGrads(loss, e.variables);
    e.variables.forEach((v, k) => {
      const g = grads[v.name].dataSync();
      const rate = backbone.has(v.name) ? lr * mult : lr;
      for (let i = 0; i < g.length; i++) {
        m[k][i] = 0.9 * m[k][i] + 0.1 * g[i];
        s[k][i] = 0.999 * s[k][i] + 0.001 * g[i] * g[i];
        w[k][i] -= rate * (m[k][i] / (1 - 0.9 ** step)) / (Math.sqrt(s[k][i] / (1 - 0.999 ** step)) + 1e-7);
      }
    });
    tf.dispose([value, ...Object.values(grads)]);
    optimizer.minimize(loss, false, e.variables);
  }
  e.variables.forEach((v, k) => {
    const got = v.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - w[k][i]) < 2e-6, `${v.name}[${i}]: ${got[i]} vs naive ${w[k][i]}`);
  });
  // BatchNorm's moving statistics are not trained.
  const frozenAfter = checkpointVariables(e).filter((v) => v.key.includes('moving_')).map((v) => Array.from(v.variable.dataSync()));
  assert.deepEqual(frozenAfter, frozenBefore);
  tf.dispose([x, direction]);
  optimizer.dispose();
  tf.disposeVariables();
});

test('bad backbones: one UserError line each, naming the file and the fix', async (t) => {
  const dir = tempDir(t);
  const fixed = await writeLayersBackbone(join(dir, 'fixed'), { inputShape: [28, 28, 1] });
  const missing = join(dir, 'nope', 'model.json');
  const notModel = join(dir, 'not-model.json');
  writeFileSync(notModel, JSON.stringify({ hello: 'world' }));
  const notJson = join(dir, 'garbage.json');
  writeFileSync(notJson, 'PK\u0003\u0004 not json');
  const truncated = await writeLayersBackbone(join(dir, 'truncated'));
  truncateSync(join(dir, 'truncated', 'weights.bin'), 10);
  const declared = await writeLayersBackbone(join(dir, 'imagenet'), { metadata: { xbmDrift: { normalization: 'imagenet' } } });
  const cases: [string, string, BackboneInput, string][] = [
    ['missing', missing, DIGITS2, M.backboneMissing(missing)],
    ['not a model', notModel, DIGITS2, M.backboneNotModel(notModel)],
    ['not JSON', notJson, DIGITS2, M.backboneNotJson(notJson)],
    ['truncated weights', truncated, DIGITS2, M.backboneShardSize(truncated, 10, readWeightsBytes(dir))],
    ['wrong input size', fixed, DIGITS2, M.inputSize(fixed, [null, 28, 28, 1], 'mnist2', [28, 56, 1], false)],
    ['wrong normalisation', declared, DIGITS2, M.normalization(declared, 'imagenet', 'mnist2', '[0, 1]')],
  ];
  for (const [what, path, input, message] of cases) {
    await assert.rejects(createBackboneEmbedder({ source: path, lrMult: 1, freeze: false }, path, 4, input, new Rng(1)), (e: Error) => {
      assert.equal(e.name, 'UserError', what);
      assert.equal(e.message, message, what);
      assert.ok(!e.message.includes('\n'), what);
      return true;
    });
  }
  tf.disposeVariables();
});

function readWeightsBytes(dir: string): number {
  const json = JSON.parse(readFileSync(join(dir, 'truncated', 'model.json'), 'utf8')) as { weightsManifest: { weights: { shape: number[] }[] }[] };
  return json.weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
}

test('a folder is read as its model.json; a fully convolutional trunk takes 28x28, 28x56 and 28x84 inputs', async (t) => {
  const dir = tempDir(t);
  await writeLayersBackbone(join(dir, 'bb'));
  mkdirSync(join(dir, 'empty'));
  for (const w of [28, 56, 84]) {
    const e = await createBackboneEmbedder({ source: join(dir, 'bb'), lrMult: 1, freeze: true }, join(dir, 'bb'), 4, { ...DIGITS2, imageShape: [28, w, 1] }, new Rng(1));
    assert.equal(e.variables.length, 2, 'frozen: only the head trains');
    const y = e.apply(images(1, [28, w, 1]));
    assert.deepEqual(y.shape, [1, 4]);
    y.dispose();
    tf.disposeVariables();
  }
});
