/**
 * The trainer's real step (src/train/step.ts), not a copy of it: across steps with and without the
 * memory, with the memory loss paused, and with the batch's embeddings kept, it leaves no tensor
 * and no backend buffer behind, on cpu and on wasm with this project's kernels.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, trainStepAsyncReads, type StepOptions, type StepResult } from '../../src/train/step.js';
import { Rng } from '../../src/random.js';
import { createAdapter, type XbmAdaptConfig } from '../../src/memory/adapt/index.js';
import { parityLossFields, type ParityMode } from '../../src/memory/parity/parity.js';
import { PARITY_MODES } from '../../src/memory/parity/registry.js';
import { KeyEncoder } from '../../src/train/key-encoder.js';
import { backendBuffers } from '../backend/compare.js';
import { initTestWasm } from '../backend/setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

const SHAPE = [12, 16, 1] as const;
const B = 8;

const STEPS = { sync: async (...a: Parameters<typeof trainStep>) => trainStep(...a), async: trainStepAsyncReads };

for (const backend of ['cpu', 'wasm'] as const) for (const [reads, step] of Object.entries(STEPS)) {
  test(`trainStep (${reads} reads) leaks no tensors or buffers on ${backend} (memory off, on, paused; embeddings kept)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(3);
    const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: 8 }, SHAPE, rng);
    const optimizer = tf.train.adam(1e-3);
    const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
    const memory = new CrossBatchMemory(20, 8);
    const input = (iteration: number) => ({
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => rng.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 4),
      sampleIds: Int32Array.from({ length: B }, (_, i) => iteration * B + i),
      iteration,
    });
    const modes: StepOptions[] = [
      { enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false },
      { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false },
      { enqueue: true, memoryLoss: false, weight: 1, keepEmbeddings: true },
      { enqueue: true, memoryLoss: true, weight: 0.5, keepEmbeddings: true },
    ];
    // The first step creates the optimizer's moment variables: count from after it.
    await step(model, loss, optimizer, memory, input(0), modes[1]);
    const tensors = tf.memory().numTensors;
    const buffers = backendBuffers();
    let it = 1;
    for (const mode of modes) {
      for (let k = 0; k < 2; k++) {
        const r = await step(model, loss, optimizer, memory, input(it++), mode);
        assert.ok(Number.isFinite(r.loss));
        assert.equal(r.embeddings?.length, mode.keepEmbeddings ? B * 8 : undefined);
        if (mode.memoryLoss) assert.ok(r.memoryStats.positive > 0, 'the memory loss saw pairs');
        else assert.equal(r.memoryLoss, 0);
        assert.equal(tf.memory().numTensors, tensors, `tensors after a step with ${JSON.stringify(mode)}`);
        assert.equal(backendBuffers(), buffers, `backend buffers after a step with ${JSON.stringify(mode)}`);
      }
    }
    optimizer.dispose();
    tf.disposeVariables();
  });
}

/**
 * The webgpu step (record, await, replay) must be the same algorithm as the synchronous one: from
 * the same weights and batches, every reported number, the memory and the weights after each
 * update are identical on cpu and wasm, for a mining loss, with the memory on, off and paused.
 */
for (const backend of ['cpu', 'wasm'] as const) {
  test(`trainStepAsyncReads equals trainStep on ${backend}, step by step (triplet with mining, multi-similarity)`, async () => {
    await tf.setBackend(backend);
    for (const lossConfig of [{ kind: 'triplet', margin: 0.2, mining: 'semi-hard' }, { kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 }] as const) {
      const run = async (step: (typeof STEPS)[keyof typeof STEPS]) => {
        const loss = createLoss(lossConfig as never);
        const rng = new Rng(5);
        const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: 8 }, SHAPE, rng);
        const optimizer = tf.train.adam(1e-2);
        const memory = new CrossBatchMemory(20, 8);
        const data = new Rng(9);
        const results: StepResult[] = [];
        const weights: number[][] = [];
        for (let t = 0; t < 6; t++) {
          const mode: StepOptions = { enqueue: t >= 2, memoryLoss: t >= 2 && t !== 4, weight: 1, keepEmbeddings: t % 2 === 0 };
          const input = {
            pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
            labels: Int32Array.from({ length: B }, (_, i) => (i + t) % 3),
            sampleIds: Int32Array.from({ length: B }, (_, i) => t * B + i),
            iteration: t,
          };
          results.push(await step(model, loss, optimizer, memory, input, mode));
          weights.push(model.variables.flatMap((v) => Array.from(v.dataSync())));
        }
        const entries = memory.entries();
        optimizer.dispose();
        tf.disposeVariables();
        return { results, weights, entries };
      };
      const sync = await run(STEPS.sync);
      const asyncReads = await run(STEPS.async);
      assert.ok(sync.results.some((r) => r.memoryStats.active > 0), 'the memory term was active');
      assert.ok(sync.results.some((r) => r.batchStats.active > 0), 'the mined batch term was active');
      assert.deepEqual(asyncReads.results, sync.results, `${lossConfig.kind}: step results`);
      assert.deepEqual(asyncReads.weights, sync.weights, `${lossConfig.kind}: weights after each update`);
      assert.deepEqual(asyncReads.entries, sync.entries, `${lossConfig.kind}: memory`);
    }
  });
}

/**
 * Memory compensation (--xbm-adapt) inside the real step: for every strategy the webgpu variant
 * (record, await, replay) equals the synchronous one step by step (results with the in-loss
 * staleness, weights, memory), no tensor is left behind, and momentum with m = 0 is plain XBM.
 * Sample ids repeat every 3 steps, so samples return while their old rows are stored.
 */
const ADAPT_CASES: XbmAdaptConfig[] = [{ kind: 'none' }, { kind: 'moments' }, { kind: 'sdc' }, { kind: 'momentum', momentum: 0.9 }, { kind: 'refresh-by-id' }];

async function adaptRun(step: (typeof STEPS)[keyof typeof STEPS], adapt: XbmAdaptConfig, steps = 7, parity?: ParityMode) {
  const loss = createLoss(parity ? parityLoss(parity) : { kind: 'contrastive', margin: 0.5 });
  const rng = new Rng(5);
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: 8 }, SHAPE, rng);
  const optimizer = tf.train.adam(1e-2);
  const memory = new CrossBatchMemory(20, 8);
  const adapter = createAdapter(adapt, { dim: 8, trainClasses: 3, classesPerBatch: 3 });
  const keyEncoder = adapter.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const data = new Rng(9);
  const results: StepResult[] = [];
  const weights: number[][] = [];
  const tensors: number[] = [];
  for (let t = 0; t < steps; t++) {
    const mode: StepOptions = { enqueue: t >= 1, memoryLoss: t >= 1 && t !== 4, weight: 1, keepEmbeddings: false, adapter, keyEncoder, inLossStaleness: true, combine: parity?.combine };
    const input = {
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 3),
      sampleIds: Int32Array.from({ length: B }, (_, i) => ((t % 3) * B + i) % 24),
      iteration: t + 1,
    };
    results.push(await step(model, loss, optimizer, memory, input, mode));
    weights.push(model.variables.flatMap((v) => Array.from(v.dataSync())));
    tensors.push(tf.memory().numTensors);
  }
  const entries = memory.entries();
  keyEncoder?.dispose();
  optimizer.dispose();
  tf.disposeVariables();
  return { results, weights, entries, tensors };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`every --xbm-adapt strategy: trainStepAsyncReads equals trainStep on ${backend}, and neither leaks tensors`, async () => {
    await tf.setBackend(backend);
    for (const adapt of ADAPT_CASES) {
      const sync = await adaptRun(STEPS.sync, adapt);
      const asyncReads = await adaptRun(STEPS.async, adapt);
      assert.ok(sync.results.some((r) => r.memoryAges?.some((b) => b.returned > 0)), `${adapt.kind}: samples came back`);
      assert.deepEqual(asyncReads.results, sync.results, `${adapt.kind}: step results`);
      assert.deepEqual(asyncReads.weights, sync.weights, `${adapt.kind}: weights`);
      assert.deepEqual(asyncReads.entries, sync.entries, `${adapt.kind}: memory`);
      // From the third step on (the optimizer's slots and the key encoder exist), the count stays put.
      for (const run of [sync, asyncReads]) assert.deepEqual(run.tensors.slice(2), run.tensors.slice(2).map(() => run.tensors[2]), `${adapt.kind}: tensors per step`);
    }
  });
}

/** The contrastive loss as a parity mode configures it. */
const parityLoss = (p: ParityMode) => ({ kind: 'contrastive', margin: 0.5, ...parityLossFields(p, 'contrastive') }) as LossConfig;

for (const backend of ['cpu', 'wasm'] as const) {
  test(`every --parity mode: trainStepAsyncReads equals trainStep on ${backend}, and neither leaks tensors`, async () => {
    await tf.setBackend(backend);
    for (const parity of PARITY_MODES) {
      const sync = await adaptRun(STEPS.sync, { kind: 'none' }, 7, parity);
      const asyncReads = await adaptRun(STEPS.async, { kind: 'none' }, 7, parity);
      assert.ok(sync.results.some((r) => r.memoryLoss > 0), `${parity.kind}: the memory term acted`);
      assert.deepEqual(asyncReads.results, sync.results, `${parity.kind}: step results`);
      assert.deepEqual(asyncReads.weights, sync.weights, `${parity.kind}: weights`);
      assert.deepEqual(asyncReads.entries, sync.entries, `${parity.kind}: memory`);
      for (const run of [sync, asyncReads]) assert.deepEqual(run.tensors.slice(2), run.tensors.slice(2).map(() => run.tensors[2]), `${parity.kind}: tensors per step`);
    }
  });
}

test('--xbm-adapt momentum with m = 0 is plain XBM: the same memory and the same steps', async () => {
  await tf.setBackend('cpu');
  const plain = await adaptRun(STEPS.sync, { kind: 'none' });
  const m0 = await adaptRun(STEPS.sync, { kind: 'momentum', momentum: 0 });
  assert.deepEqual(m0.entries, plain.entries);
  assert.deepEqual(m0.results, plain.results);
  const m9 = await adaptRun(STEPS.sync, { kind: 'momentum', momentum: 0.9 });
  assert.notDeepEqual(m9.entries, plain.entries, 'a momentum above 0 stores other keys');
});
