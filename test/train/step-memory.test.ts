/**
 * The step's memory estimate (src/train/step-memory.ts) against the peak a real step reaches, as
 * the engine counts live tensor bytes: whole batch and --micro-batch, with a memory, on cpu. The
 * estimate must not fall short and must stay close (the refusal it drives suggests a chunk size);
 * chunks must lower the peak. And tf.profile's leftover state after a failure is cleared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { LOSS_DEFAULTS } from '../../src/losses/registry.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, type StepInput, type StepOptions } from '../../src/train/step.js';
import { trainStepMicroBatched } from '../../src/train/gradient-cache.js';
import { backendMemoryLimit, measureStepMemory, peakTensorBytes, stepBytes } from '../../src/train/step-memory.js';
import { Rng } from '../../src/random.js';

const SHAPE = [28, 56, 1] as const;
const B = 16;
const M = 64;

/** The peak tensor bytes of a step (after a first one made Adam's slots), and the estimate made before the first. */
async function peakAndEstimate(microBatch: number | undefined): Promise<{ peak: number; estimate: number }> {
  const rng = new Rng(2);
  const model = createEmbedder({ kind: 'cnn', channels: [8, 8], dim: 16 }, SHAPE, rng);
  const optimizer = tf.train.adam(1e-3);
  const memory = new CrossBatchMemory(M, 16);
  const loss = createLoss(LOSS_DEFAULTS.contrastive as LossConfig);
  const estimate = stepBytes(await measureStepMemory(model, 'adam', false), { batch: B, microBatch, memoryRows: M });
  const input = (iteration: number): StepInput => ({
    pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => rng.next()),
    labels: Int32Array.from({ length: B }, (_, i) => i % 4),
    sampleIds: Int32Array.from({ length: B }, (_, i) => iteration * B + i),
    iteration,
  });
  const opts: StepOptions = { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false };
  const step = (t: number) => (microBatch === undefined ? trainStep(model, loss, optimizer, memory, input(t), opts) : trainStepMicroBatched(model, loss, optimizer, memory, input(t), opts, microBatch));
  for (let t = 0; t < M / B; t++) step(t); // the memory full, Adam's slots made
  const held = tf.memory().numBytes;
  const peak = held + (await peakTensorBytes(() => step(M / B)));
  optimizer.dispose();
  tf.disposeVariables();
  return { peak, estimate };
}

test('the estimate covers the measured peak of a step, within 10%, whole batch and micro-batched; chunks lower the peak', async () => {
  await tf.setBackend('cpu');
  const whole = await peakAndEstimate(undefined);
  const chunked = await peakAndEstimate(2);
  for (const [name, r] of [['whole batch', whole], ['--micro-batch 2', chunked]] as const) {
    assert.ok(r.estimate >= r.peak, `${name}: estimate ${r.estimate} below the peak ${r.peak}`);
    assert.ok(r.estimate <= 1.1 * r.peak, `${name}: estimate ${r.estimate} over 1.1 x the peak ${r.peak}`);
  }
  assert.ok(chunked.peak < 0.6 * whole.peak, `--micro-batch 2 peaks at ${chunked.peak}, the whole batch at ${whole.peak}`);
});

test('peakTensorBytes: a failure leaves the engine not profiling', async () => {
  await tf.setBackend('cpu');
  await assert.rejects(peakTensorBytes(() => {
    tf.add(tf.scalar(1), tf.scalar(2)).dispose();
    throw new Error('boom');
  }), /boom/);
  assert.equal((tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling, false);
});

test('the limits: wasm 4 GiB, cpu and tensorflow the machine, webgpu unknown', () => {
  assert.equal(backendMemoryLimit('wasm')!.bytes, 2 ** 32);
  assert.ok(backendMemoryLimit('cpu')!.bytes > 0);
  assert.equal(backendMemoryLimit('tensorflow')!.bytes, backendMemoryLimit('cpu')!.bytes);
  assert.equal(backendMemoryLimit('webgpu'), null);
});
