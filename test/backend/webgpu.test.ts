/**
 * The webgpu backend (Dawn) against cpu: a training step's gradients of the default (reference)
 * embedder at full size, relative 1e-4; the record/replay step with XBM (trainStepAsyncReads, the
 * trainer's fallback on webgpu where the device step has no tensor version) against trainStep on cpu; and that step leaks no tensors. Reads
 * are asynchronous (asyncReadsOnly): tfjs-backend-webgpu's dataSync needs OffscreenCanvas. These
 * run where Dawn finds an adapter: a GPU, or Mesa 25's llvmpipe (software, correctness only; .ci/run
 * installs it from Debian's bookworm-backports). Elsewhere the file reports ONE skipped test whose
 * reason says why (never a silent pass); under CI (CI set) or with XBM_REQUIRE_WEBGPU=1
 * (scripts/gpu-check.sh on a lent GPU) a missing adapter is a failure (fixtures/webgpu-required.ts).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { initBackend, shutdownBackend } from '../../src/backend/init-backend.js';
import { describeAdapter } from '../../src/backend/webgpu.js';
import { createEmbedder, REFERENCE_EMBEDDER, REFERENCE_INPUT } from '../../src/model/embedder.js';
import { tf } from '../../src/backend/tf.js';
import { Rng } from '../../src/random.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, trainStepAsyncReads } from '../../src/train/step.js';
import { TOL } from '../helpers/tolerances.js';
import { randomArray, scaledError } from './compare.js';
import { webgpuAdapterOrSkip } from './fixtures/webgpu-required.js';

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
  if ((await webgpuAdapterOrSkip(t)) === null) return;
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

  /*
   * Why the weights are compared in units of lr, not relative to the weights (issue 23: 1.24e-3
   * against a bound of 1e-3 of max|w|). Adam's first steps move every element by about lr, whatever
   * its gradient's size: u = lr * mHat / (sqrt(vHat) + eps), |mHat / sqrt(vHat)| <= 1.003 for t <= 3.
   * So an element's difference between two backends follows its OWN gradient's relative error, not
   * its tensor's: the biases (zero at start, |w| <= 3 lr after 3 steps) allowed 2.7e-6 = 0.003 lr;
   * and an element whose gradient is float32 noise around zero (|g| < eps = 1e-7) moves by
   * lr * g / eps, a gain of 1e4 on that noise (conv3/kernel: g = 9.5e-9 on cpu, -2.1e-8 on webgpu,
   * 2.9e-8 on wasm: 0.26 lr and 0.14 lr apart). cpu against wasm (the same trainStep, another
   * summation order) already reached 0.98e-3 of the old bound. What the step must get right is
   * checked directly: the loss and every step's gradients (relative 1e-3 of each tensor's largest;
   * measured at full size 4.3e-4, wasm 3.6e-4); the weights then agree to within one Adam step
   * (lr) per element (measured 0.26 lr): a wrong gradient sign on a real gradient shows as 2 lr.
   * The model here is smaller than the reference (the step, not the kernels' sizes, is under test;
   * the first test covers full size): 5.8e-5 and 0.061 lr on llvmpipe.
   */
  await t.test('the trainer\'s step (record, await, replay) with XBM on webgpu follows trainStep on cpu: 3 Adam steps, losses and gradients relative 1e-3, weights within lr', async (st) => {
    const lr = 1e-3;
    const config = { kind: 'cnn' as const, channels: [16, 32, 64], dim: 32 };
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const model = createEmbedder(config, REFERENCE_INPUT, new Rng(21));
      const optimizer = tf.train.adam(lr);
      // Every step's gradients, as the optimizer receives them (read after the step: webgpu reads asynchronously).
      const pending: tf.Tensor[][] = [];
      const apply = optimizer.applyGradients.bind(optimizer);
      optimizer.applyGradients = (g) => {
        // minimize() passes the variables' gradients as a list, in the variables' order.
        pending.push((g as { tensor: tf.Tensor }[]).map((n) => tf.keep(n.tensor.clone())));
        apply(g);
      };
      const memory = new CrossBatchMemory(64, config.dim);
      const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
      const data = new Rng(22);
      const losses: number[] = [];
      const grads: Float32Array[][] = [];
      try {
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
          const step = pending.shift()!;
          grads.push(await Promise.all(step.map(async (g) => Float32Array.from(await g.data()))));
          tf.dispose(step);
        }
        const weights = await Promise.all(model.variables.map(async (v) => Float32Array.from(await v.data())));
        return { losses, grads, weights, names: model.variables.map((v) => v.name) };
      } finally {
        tf.dispose(pending.flat());
        optimizer.dispose();
        tf.dispose(model.variables);
      }
    };
    const ref = await run('cpu');
    const got = await run('webgpu');
    ref.losses.forEach((v, i) => assert.ok(Math.abs(got.losses[i] - v) <= 1e-3 * Math.max(1, Math.abs(v)), `loss ${i}: ${got.losses[i]} vs ${v}`));
    const gradErrors = ref.grads.map((step, s) => step.map((g, i) => scaledError(got.grads[s][i], g)));
    const weightGaps = ref.weights.map((w, i) => w.reduce((worst, x, k) => Math.max(worst, Math.abs(got.weights[i][k] - x)), 0) / lr);
    st.diagnostic(`worst gradient error per step: ${gradErrors.map((e) => Math.max(...e).toExponential(2)).join(', ')}; worst weight gap: ${Math.max(...weightGaps).toFixed(3)} lr`);
    gradErrors.forEach((step, s) => step.forEach((err, i) => {
      assert.ok(err <= 1e-3, `step ${s + 1}, gradient of ${ref.names[i]}: relative error ${err.toExponential(2)}`);
    }));
    weightGaps.forEach((gap, i) => assert.ok(gap <= 1, `${ref.names[i]} after 3 steps: an element differs by ${gap.toFixed(3)} lr`));
  });

  await t.test('the trainer\'s webgpu step (trainStepAsyncReads, XBM, Adam) leaks no tensors', async () => {
    await tf.setBackend('webgpu');
    const config = { kind: 'cnn' as const, channels: [8, 16], dim: 16 };
    const model = createEmbedder(config, REFERENCE_INPUT, new Rng(7));
    const optimizer = tf.train.adam(1e-3);
    const memory = new CrossBatchMemory(16, config.dim);
    const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
    const data = new Rng(8);
    const step = (it: number) => trainStepAsyncReads(model, loss, optimizer, memory, {
      pixels: randomArray(data, [8, H, W, C]).values,
      labels: Int32Array.from({ length: 8 }, (_, i) => Math.floor(i / 2)),
      sampleIds: Int32Array.from({ length: 8 }, (_, i) => it * 8 + i),
      iteration: it,
    }, { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: true });
    try {
      await step(1); // Adam creates its moment variables here
      const tensors = tf.memory().numTensors;
      // The memory fills (16 rows) and wraps: every step after the first has a memory loss.
      for (let it = 2; it <= 4; it++) {
        const r = await step(it);
        assert.ok(Number.isFinite(r.loss) && r.memoryStats.positive > 0, `step ${it}: ${JSON.stringify(r.memoryStats)}`);
      }
      assert.equal(tf.memory().numTensors, tensors);
    } finally {
      optimizer.dispose();
      tf.dispose(model.variables);
    }
  });
});
