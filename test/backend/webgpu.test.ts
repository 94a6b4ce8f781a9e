/**
 * The webgpu backend (Dawn) against cpu: a training step's gradients of the default (reference)
 * embedder at full size, relative 1e-4; the trainer's own step with XBM (trainStepAsyncReads, the
 * one the trainer uses on webgpu) against trainStep on cpu; and an Adam step that leaks no tensors. Reads are
 * asynchronous (asyncReadsOnly): tfjs-backend-webgpu's dataSync needs OffscreenCanvas. These run only
 * where Dawn finds an adapter (a GPU with a Vulkan, Metal or D3D12 driver); elsewhere the file
 * reports ONE skipped test whose reason says why (never a silent pass). XBM_REQUIRE_WEBGPU=1
 * (scripts/gpu-check.sh on a lent GPU) turns that skip into a failure.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { initBackend, shutdownBackend } from '../../src/backend/init-backend.js';
import { describeAdapter, probeWebgpuAdapter } from '../../src/backend/webgpu.js';
import { createEmbedder, REFERENCE_EMBEDDER, REFERENCE_INPUT } from '../../src/model/embedder.js';
import { tf } from '../../src/backend/tf.js';
import { Rng } from '../../src/random.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, trainStepAsyncReads } from '../../src/train/step.js';
import { TOL } from '../helpers/tolerances.js';
import { randomArray, scaledError } from './compare.js';

after(async () => {
  await shutdownBackend();
});

const [H, W, C] = REFERENCE_INPUT;

/**
 * One training step's loss and gradients on `backend`: the reference embedder on a P x K batch,
 * a contrastive loss on cosine similarities (positives pulled to 1, negatives pushed below 0.5).
 */
async function trainingGradients(backend: string, classes: number, perClass: number): Promise<{ loss: number; grads: Float32Array[]; names: string[] }> {
  await tf.setBackend(backend);
  const batch = classes * perClass;
  const rng = new Rng(11);
  const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, rng.fork());
  const x = tf.tensor4d(randomArray(rng.fork(), [batch, H, W, C]).values, [batch, H, W, C]);
  const labels = Int32Array.from({ length: batch }, (_, i) => Math.floor(i / perClass));
  const same = tf.tensor2d(Float32Array.from({ length: batch * batch }, (_, k) => (labels[Math.floor(k / batch)] === labels[k % batch] ? 1 : 0)), [batch, batch]);
  const { value, grads } = tf.variableGrads(() => {
    const e = model.apply(x); // unit rows
    const s = tf.matMul(e, e, false, true);
    const pos = tf.mul(same, tf.sub(1, s));
    const neg = tf.mul(tf.sub(1, same), tf.relu(tf.sub(s, 0.5)));
    return tf.div(tf.sum(tf.add(pos, neg)), batch) as tf.Scalar;
  }, model.variables);
  const names = model.variables.map((v) => v.name);
  // Asynchronous reads: tfjs-backend-webgpu's dataSync needs OffscreenCanvas, which Node lacks.
  const out = { loss: (await value.data())[0], grads: await Promise.all(names.map(async (n) => Float32Array.from(await grads[n].data()))), names };
  tf.dispose([value, x, same, ...Object.values(grads), ...model.variables]);
  return out;
}

test('webgpu backend against cpu (reference embedder, full size)', async (t) => {
  const probe = await probeWebgpuAdapter();
  if (probe.adapter === null) {
    const reason = `webgpu tests did not run: ${probe.reason}`;
    if (process.env.XBM_REQUIRE_WEBGPU === '1') assert.fail(`${reason} (XBM_REQUIRE_WEBGPU=1)`);
    t.skip(reason);
    return;
  }
  const info = await initBackend({ backend: 'webgpu', asyncReadsOnly: true });
  assert.equal(info.name, 'webgpu');
  assert.ok(info.webgpu?.adapter, 'run.json records the adapter');
  t.diagnostic(`adapter: ${describeAdapter(info.webgpu.adapter)}`);

  await t.test('a training step: loss and every variable\'s gradient within relative 1e-4 of cpu (batch 16 = 4 x 4)', async () => {
    const ref = await trainingGradients('cpu', 4, 4);
    const got = await trainingGradients('webgpu', 4, 4);
    assert.deepEqual(got.names.length, ref.names.length);
    const lossError = Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss));
    assert.ok(lossError <= TOL.kernelRelative, `loss: relative error ${lossError.toExponential(2)}`);
    ref.grads.forEach((g, i) => {
      const err = scaledError(got.grads[i], g);
      assert.ok(err <= TOL.kernelRelative, `gradient of ${ref.names[i]}: relative error ${err.toExponential(2)}`);
    });
  });

  await t.test('the trainer\'s step (record, await, replay) with XBM on webgpu follows trainStep on cpu: 3 steps, relative 1e-3', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, new Rng(21));
      const optimizer = tf.train.adam(1e-3);
      const memory = new CrossBatchMemory(64, REFERENCE_EMBEDDER.dim);
      const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
      const data = new Rng(22);
      const losses: number[] = [];
      for (let it = 1; it <= 3; it++) {
        const input = {
          pixels: randomArray(data, [16, H, W, C]).values,
          labels: Int32Array.from({ length: 16 }, (_, i) => Math.floor(i / 4)),
          sampleIds: Int32Array.from({ length: 16 }, (_, i) => it * 16 + i),
          iteration: it,
        };
        const opts = { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false };
        const r = backend === 'cpu' ? trainStep(model, loss, optimizer, memory, input, opts) : await trainStepAsyncReads(model, loss, optimizer, memory, input, opts);
        losses.push(r.loss, r.memoryLoss);
      }
      const weights = await Promise.all(model.variables.map(async (v) => Float32Array.from(await v.data())));
      optimizer.dispose();
      tf.dispose(model.variables);
      return { losses, weights };
    };
    const ref = await run('cpu');
    const got = await run('webgpu');
    ref.losses.forEach((v, i) => assert.ok(Math.abs(got.losses[i] - v) <= 1e-3 * Math.max(1, Math.abs(v)), `loss ${i}: ${got.losses[i]} vs ${v}`));
    ref.weights.forEach((w, i) => {
      const err = scaledError(got.weights[i], w);
      assert.ok(err <= 1e-3, `weights ${i} after 3 steps: relative error ${err.toExponential(2)}`);
    });
  });

  await t.test('an Adam training step on webgpu leaks no tensors', async () => {
    await tf.setBackend('webgpu');
    const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, new Rng(7));
    const x = tf.tensor4d(randomArray(new Rng(8), [8, H, W, C]).values, [8, H, W, C]);
    const optimizer = tf.train.adam(1e-3);
    const step = async () => {
      const loss = optimizer.minimize(() => tf.neg(tf.sum(tf.square(model.apply(x)))) as tf.Scalar, true, model.variables);
      await loss!.data();
      loss!.dispose();
    };
    await step();
    const tensors = tf.memory().numTensors;
    await step();
    await step();
    assert.equal(tf.memory().numTensors, tensors);
    optimizer.dispose();
    tf.dispose([x, ...model.variables]);
  });
});
