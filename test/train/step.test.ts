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
import { LOSSES, LOSS_DEFAULTS } from '../../src/losses/registry.js';
import { REDUCERS } from '../../src/losses/reducers/registry.js';
import { TRIPLET_MINING } from '../../src/losses/triplet.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, trainStepAsyncReads, type StepOptions, type StepResult } from '../../src/train/step.js';
import { Rng } from '../../src/random.js';
import { ADAPT_STRATEGIES, createAdapter, type XbmAdaptConfig } from '../../src/memory/adapt/index.js';
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
 * The cases every step test runs, read from the registries, never retyped: each registered loss
 * with each reducer (and, for the triplet losses, each mining), each memory compensation strategy
 * (--xbm-adapt) at its defaults, and each parity mode. A loss, reducer, strategy or parity mode
 * added to its registry joins the equality and leak test below without an edit here.
 */
interface StepCase { name: string; loss: LossConfig; adapt: XbmAdaptConfig; parity?: ParityMode }
const NONE: XbmAdaptConfig = { kind: 'none' };
const CONTRASTIVE = LOSS_DEFAULTS.contrastive as LossConfig;
/** A strategy's config with every parameter at its default, as `--xbm-adapt <kind>` alone gives it. */
const adaptDefaults = (s: (typeof ADAPT_STRATEGIES)[number]): XbmAdaptConfig =>
  ('fromFlags' in s && s.fromFlags ? s.fromFlags({}, (_flag, given, value) => given ?? value) : { kind: s.kind }) as XbmAdaptConfig;
const STEP_CASES: StepCase[] = [
  ...LOSSES.flatMap((d) => {
    const base = d.defaults as LossConfig;
    const minings = 'mining' in base ? TRIPLET_MINING.filter((m) => m !== base.mining).map((mining) => ({ ...base, mining }) as LossConfig) : [];
    return [...REDUCERS.map((r) => ({ ...base, reducer: r.kind }) as LossConfig), ...minings];
  }).map((loss) => ({ name: `${loss.kind}${loss.reducer ? ` ${loss.reducer}` : ''}${'mining' in loss ? ` ${loss.mining}` : ''}`, loss, adapt: NONE })),
  ...ADAPT_STRATEGIES.map((s) => ({ name: `--xbm-adapt ${s.kind}`, loss: CONTRASTIVE, adapt: adaptDefaults(s) })),
  ...PARITY_MODES.map((p) => ({ name: `--parity ${p.kind}`, loss: { ...CONTRASTIVE, ...parityLossFields(p, 'contrastive') } as LossConfig, adapt: NONE, parity: p })),
];

/**
 * `steps` real steps of one case from fixed weights and batches: the memory on from step 1, paused
 * at step 4, embeddings kept every other step; sample ids repeat every 3 steps, so samples return
 * while their old rows are stored. Records every result, the weights after each update, the memory
 * and the live tensor count after each step.
 */
async function runCase(step: (typeof STEPS)[keyof typeof STEPS], c: Pick<StepCase, 'loss' | 'adapt' | 'parity'>, steps = 7) {
  const loss = createLoss(c.loss);
  const rng = new Rng(5);
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: 8 }, SHAPE, rng);
  const optimizer = tf.train.adam(1e-2);
  const memory = new CrossBatchMemory(20, 8);
  const adapter = createAdapter(c.adapt, { dim: 8, trainClasses: 3, classesPerBatch: 3 });
  const keyEncoder = adapter.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const data = new Rng(9);
  const results: StepResult[] = [];
  const weights: number[][] = [];
  const tensors: number[] = [];
  for (let t = 0; t < steps; t++) {
    const mode: StepOptions = { enqueue: t >= 1, memoryLoss: t >= 1 && t !== 4, weight: 1, keepEmbeddings: t % 2 === 0, adapter, keyEncoder, inLossStaleness: true, combine: c.parity?.combine };
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

/**
 * The webgpu step (record, await, replay) must be the same algorithm as the synchronous one: from
 * the same weights and batches, every reported number (the in-loss staleness too), the weights
 * after each update and the memory are identical, and from the third step on (the optimizer's
 * slots and the key encoder exist) neither leaves a tensor behind, for every case.
 */
for (const backend of ['cpu', 'wasm'] as const) {
  test(`every registered loss x reducer, --xbm-adapt strategy and --parity mode: trainStepAsyncReads equals trainStep on ${backend}, and neither leaks`, async () => {
    await tf.setBackend(backend);
    for (const c of STEP_CASES) {
      const sync = await runCase(STEPS.sync, c);
      const asyncReads = await runCase(STEPS.async, c);
      assert.ok(sync.results.some((r) => r.memoryStats.positive > 0), `${c.name}: the memory term saw pairs`);
      assert.ok(sync.results.some((r) => r.memoryAges?.some((b) => b.returned > 0)), `${c.name}: samples came back`);
      assert.deepEqual(asyncReads.results, sync.results, `${c.name}: step results`);
      assert.deepEqual(asyncReads.weights, sync.weights, `${c.name}: weights after each update`);
      assert.deepEqual(asyncReads.entries, sync.entries, `${c.name}: memory`);
      for (const run of [sync, asyncReads]) assert.deepEqual(run.tensors.slice(2), run.tensors.slice(2).map(() => run.tensors[2]), `${c.name}: tensors per step`);
    }
  });
}

test('the step cases follow the registries: every loss, reducer, mining, strategy and parity mode is one', () => {
  const names = STEP_CASES.map((c) => c.name).join(' | ');
  for (const d of LOSSES) for (const r of REDUCERS) assert.ok(STEP_CASES.some((c) => c.loss.kind === d.kind && c.loss.reducer === r.kind && c.adapt.kind === 'none' && !c.parity), `${d.kind} x ${r.kind} in ${names}`);
  for (const m of TRIPLET_MINING) assert.ok(STEP_CASES.some((c) => c.loss.kind === 'triplet' && 'mining' in c.loss && c.loss.mining === m), `triplet ${m}`);
  for (const s of ADAPT_STRATEGIES) assert.ok(STEP_CASES.some((c) => c.adapt.kind === s.kind), `--xbm-adapt ${s.kind}`);
  for (const p of PARITY_MODES) assert.ok(STEP_CASES.some((c) => c.parity === p), `--parity ${p.kind}`);
});

test('--xbm-adapt momentum with m = 0 is plain XBM: the same memory and the same steps', async () => {
  await tf.setBackend('cpu');
  const plain = await runCase(STEPS.sync, { loss: CONTRASTIVE, adapt: NONE });
  const m0 = await runCase(STEPS.sync, { loss: CONTRASTIVE, adapt: { kind: 'momentum', momentum: 0 } });
  assert.deepEqual(m0.entries, plain.entries);
  assert.deepEqual(m0.results, plain.results);
  const m9 = await runCase(STEPS.sync, { loss: CONTRASTIVE, adapt: { kind: 'momentum', momentum: 0.9 } });
  assert.notDeepEqual(m9.entries, plain.entries, 'a momentum above 0 stores other keys');
});
