/**
 * The reference embedder (conv3x3-relu-maxpool2 x2, conv3x3-relu, global average pool, dense,
 * L2 normalise) on [B, 28, 56, 1]: every variable's gradient on wasm (with this project's
 * kernels) against the cpu backend at reduced channels (full size: full-size-gradients.test.ts),
 * inference with fused convolutions, and a full Adam step on wasm leaves no tensor behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { createEmbedder, REFERENCE_INPUT } from '../../src/model/embedder.js';
import { tf } from '../../src/backend/tf.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { backendBuffers, randomArray, scaledError } from './compare.js';
import { compareGradients } from './model-compare.js';
import { initTestWasm, testThreads } from './setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

const [H, W, C] = REFERENCE_INPUT;

describe(`reference embedder on wasm vs cpu (${testThreads()} thread(s))`, () => {
  test('gradients of every variable, channels 4/8/16, batch 3', async () => {
    await compareGradients(3, { channels: [4, 8, 16], dim: 8, fused: false });
  });

  test('inference with fused conv + bias + relu matches cpu', async () => {
    const embed = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const model = createEmbedder({ kind: 'cnn', channels: [8, 16, 32], dim: 16, fused: true }, REFERENCE_INPUT, new Rng(5));
      const x = tf.tensor4d(randomArray(new Rng(6), [5, H, W, C]).values, [5, H, W, C]);
      const e = model.apply(x);
      const values = Float32Array.from(e.dataSync());
      tf.dispose([e, x, ...model.variables]);
      return values;
    };
    const ref = await embed('cpu');
    const got = await embed('wasm');
    assert.ok(scaledError(got, ref) <= TOL.kernelRelative);
  });

  test('an Adam training step on wasm leaks no tensors or buffers', async () => {
    await tf.setBackend('wasm');
    const model = createEmbedder({ kind: 'cnn', channels: [8, 16, 32], dim: 16 }, REFERENCE_INPUT, new Rng(7));
    const x = tf.tensor4d(randomArray(new Rng(8), [6, H, W, C]).values, [6, H, W, C]);
    const optimizer = tf.train.adam(1e-3);
    const step = () => {
      const loss = optimizer.minimize(() => tf.neg(tf.sum(tf.square(model.apply(x)))) as tf.Scalar, true, model.variables);
      loss!.dispose();
    };
    step(); // creates the optimizer's moment variables
    const tensors = tf.memory().numTensors;
    const buffers = backendBuffers();
    step();
    step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backendBuffers(), buffers);
    optimizer.dispose();
    tf.dispose([x, ...model.variables]);
  });
});
