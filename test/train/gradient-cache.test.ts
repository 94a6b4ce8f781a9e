/**
 * --micro-batch (src/train/gradient-cache.ts) against trainStep on the whole batch: at every step,
 * from the same state (weights, Adam's slots, memory, compensation, key encoder), the gradient
 * the optimizer is given and the update it makes agree to relative 1e-5 on cpu and wasm, and so
 * do the loss, its parts, the pair counts, the memory written and the in-loss staleness; for chunks of
 * 1, a divisor, a non-divisor and the whole batch, with and without the memory, with compensation
 * strategies and each --parity mode's combination of the terms, for contrastive and
 * multi-similarity. The micro-batched step leaves no tensor behind.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { LOSS_DEFAULTS } from '../../src/losses/registry.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { createAdapter, type XbmAdaptConfig } from '../../src/memory/adapt/index.js';
import { KeyEncoder } from '../../src/train/key-encoder.js';
import { adapterPart, keyEncoderPart, memoryPart, restoreParts, saveParts, type TrainingPart } from '../../src/train/parts.js';
import { trainStep, type StepInput, type StepOptions, type StepResult } from '../../src/train/step.js';
import { chunksOf, trainStepMicroBatched, trainStepMicroBatchedAsyncReads } from '../../src/train/gradient-cache.js';
import { Rng } from '../../src/random.js';
import { parityLossFields, type ParityMode } from '../../src/memory/parity/parity.js';
import { PARITY_MODES } from '../../src/memory/parity/registry.js';
import { initTestWasm } from '../backend/setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

const SHAPE = [12, 16, 1] as const;
const B = 8;
const DIM = 8;
const STEPS = 5;
const TOLERANCE = 1e-5;
/**
 * Adam's update, relative: 1e-5 on cpu. On wasm 1e-4: Adam's first step moves every weight by
 * about lr whatever its gradient's size, so the update's norm weighs the near-zero gradient
 * entries (sums that cancel, whose last bits wasm's kernels order differently at another batch
 * size) as much as the large ones; measured 2.6e-5 for --parity pml with a gradient within 4.4e-6.
 */
const UPDATE_TOLERANCE = { cpu: 1e-5, wasm: 1e-4 } as const;

type NamedTensor = { name: string; tensor: tf.Tensor };
const BETAS = ['accBeta1', 'accBeta2'] as const;

/** Adam, recording the gradients each update is given (in the order given, as one vector). */
class Recording extends tf.Optimizer {
  last: Float64Array | null = null;
  readonly inner = tf.train.adam(1e-2);
  applyGradients(g: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list: (tf.Tensor | undefined)[] = Array.isArray(g) ? g.map((x) => x.tensor) : Object.values(g);
    this.last = Float64Array.from(list.flatMap((t) => (t ? Array.from(t.dataSync()) : [])));
    this.inner.applyGradients(g as NamedTensor[]);
  }
  /** The slots, copied, and Adam's running beta powers, which setWeights would recompute in other last bits (train/checkpoint.ts). */
  override async getWeights(): Promise<NamedTensor[]> {
    const betas = BETAS.map((k) => ({ name: k, tensor: tf.clone(this.betas()[k]) }));
    return [...(await this.inner.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })), ...betas];
  }
  override async setWeights(w: NamedTensor[]): Promise<void> {
    await this.inner.setWeights(w.filter((x) => !(BETAS as readonly string[]).includes(x.name)));
    for (const k of BETAS) this.betas()[k].assign(w.find((x) => x.name === k)!.tensor);
  }
  private betas(): Record<(typeof BETAS)[number], tf.Variable> {
    return this.inner as unknown as Record<(typeof BETAS)[number], tf.Variable>;
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
  override dispose(): void {
    this.inner.dispose();
  }
}

type Step = (...a: Parameters<typeof trainStep>) => StepResult | Promise<StepResult>;
const microBatched = (n: number): Step => (...a) => trainStepMicroBatched(...a, n);
const microBatchedAsyncReads = (n: number): Step => (...a) => trainStepMicroBatchedAsyncReads(...a, n);

/** What one step did: the gradient given to the optimizer, the weights' change, its result, the memory after it. */
interface Did { gradient: Float64Array; update: Float64Array; result: StepResult; memory: ReturnType<CrossBatchMemory['entries']> }

interface Case { name: string; loss: LossConfig; memory: number; adapt: XbmAdaptConfig; parity?: ParityMode }

/**
 * STEPS steps of one case from fixed weights and batches (memory on from step 1, samples returning
 * every 3 steps). Each step is taken by every one of `steps` from the same state, which is put back
 * in between; the first one's state goes on to the next step.
 */
async function lockstep(c: Case, steps: Step[]): Promise<Did[][]> {
  const rng = new Rng(5);
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, rng);
  const optimizer = new Recording();
  const memory = c.memory > 0 ? new CrossBatchMemory(c.memory, DIM) : null;
  const adapter = createAdapter(c.adapt, { dim: DIM, trainClasses: 3, classesPerBatch: 3 });
  const keyEncoder = adapter.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const parts: TrainingPart[] = [...(memory ? [memoryPart(memory)] : []), adapterPart(adapter), ...(keyEncoder ? [keyEncoderPart(keyEncoder)] : [])];
  const loss = createLoss(c.loss);
  const data = new Rng(9);
  const weights = () => Float64Array.from(model.variables.flatMap((v) => Array.from(v.dataSync())));
  const did: Did[][] = [];
  for (let t = 0; t < STEPS; t++) {
    const opts: StepOptions = { enqueue: memory !== null && t >= 1, memoryLoss: memory !== null && t >= 1, weight: 1, keepEmbeddings: true, adapter, keyEncoder, inLossStaleness: memory !== null, combine: c.parity?.combine };
    const input: StepInput = {
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 3),
      sampleIds: Int32Array.from({ length: B }, (_, i) => ((t % 3) * B + i) % 24),
      iteration: t + 1,
    };
    const before = weights();
    const saved = { weights: model.variables.map((v) => tf.clone(v)), optimizer: await optimizer.getWeights(), parts: await saveParts(parts) };
    const row: Did[] = [];
    for (const [k, step] of [...steps.entries()].reverse()) {
      if (k < steps.length - 1) {
        model.variables.forEach((v, i) => v.assign(saved.weights[i]));
        await optimizer.setWeights(saved.optimizer);
        // Before its first copy the key encoder saves nothing, and restoring nothing keeps the copy a step took: drop it.
        if (keyEncoder && !saved.parts.floats.some((f) => f.name.startsWith('key-encoder/'))) keyEncoder.dispose();
        restoreParts(parts, { iteration: t, state: saved.parts.state, floats: new Map(saved.parts.floats.map((f) => [f.name, f])), floatsFile: 'floats', metrics: [], evals: [] });
      }
      const result = await step(model, loss, optimizer, memory, input, opts);
      const after = weights();
      row[k] = { gradient: optimizer.last!, update: after.map((w, i) => w - before[i]), result, memory: memory?.entries() ?? [] };
    }
    tf.dispose([...saved.weights, ...saved.optimizer.map((w) => w.tensor)]);
    did.push(row);
  }
  keyEncoder?.dispose();
  optimizer.dispose();
  tf.disposeVariables();
  return did;
}

const norm = (xs: ArrayLike<number>) => Math.sqrt(Array.from(xs).reduce((s, x) => s + x * x, 0));
/** |a - b| / |b| */
const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => norm(Float64Array.from(a, (x, i) => x - b[i])) / norm(b);
const close = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));

const CONTRASTIVE = LOSS_DEFAULTS.contrastive as LossConfig;
const MS = LOSS_DEFAULTS['multi-similarity'] as LossConfig;
const CASES: Case[] = [
  { name: 'contrastive, no memory', loss: CONTRASTIVE, memory: 0, adapt: { kind: 'none' } },
  { name: 'contrastive, XBM', loss: CONTRASTIVE, memory: 20, adapt: { kind: 'none' } },
  { name: 'contrastive, XBM --xbm-adapt moments', loss: CONTRASTIVE, memory: 20, adapt: { kind: 'moments' } },
  { name: 'contrastive, XBM --xbm-adapt momentum (key encoder)', loss: CONTRASTIVE, memory: 20, adapt: { kind: 'momentum', momentum: 0.9 } },
  { name: 'multi-similarity, no memory', loss: MS, memory: 0, adapt: { kind: 'none' } },
  { name: 'multi-similarity, XBM --xbm-adapt moments', loss: MS, memory: 20, adapt: { kind: 'moments' } },
  // Each reference implementation's way of combining the batch and memory terms (memory/parity).
  ...PARITY_MODES.map((p) => ({ name: `contrastive, XBM --parity ${p.kind}`, loss: { ...CONTRASTIVE, ...parityLossFields(p, 'contrastive') } as LossConfig, memory: 20, adapt: { kind: 'none' } as XbmAdaptConfig, parity: p })),
];
/** 1, a divisor of the batch of 8, a non-divisor (3, 3, 2), the whole batch. */
const CHUNKS = [1, 4, 3, B];

test('chunks: in order, the last holds the remainder', () => {
  assert.deepEqual(chunksOf(10, 4), [{ start: 0, size: 4 }, { start: 4, size: 4 }, { start: 8, size: 2 }]);
  assert.deepEqual(chunksOf(8, 8), [{ start: 0, size: 8 }]);
  assert.deepEqual(chunksOf(3, 1).map((c) => c.size), [1, 1, 1]);
});

for (const backend of ['cpu', 'wasm'] as const) test(`from the same state, the micro-batched step gives the full-batch gradient and update (relative 1e-5) and the same step results on ${backend}, for chunks of 1, a divisor, a non-divisor and the whole batch`, async () => {
  await tf.setBackend(backend);
  for (const c of CASES) {
    const did = await lockstep(c, [trainStep, ...CHUNKS.map(microBatched)]);
    assert.ok(did.every(([full]) => full.result.batchStats.active + full.result.memoryStats.active > 0), `${c.name}: the loss has active pairs`);
    if (c.memory > 0) assert.ok(did.some(([full]) => full.result.memoryStats.active > 0 && full.result.memoryAges!.some((b) => b.returned > 0)), `${c.name}: the memory term has active pairs and samples came back`);
    did.forEach(([full, ...micro], t) => micro.forEach((m, k) => {
      const what = `${c.name}, --micro-batch ${CHUNKS[k]}, step ${t + 1}`;
      assert.ok(relative(m.gradient, full.gradient) <= TOLERANCE, `${what}: gradient, relative error ${relative(m.gradient, full.gradient)}`);
      assert.ok(relative(m.update, full.update) <= UPDATE_TOLERANCE[backend], `${what}: update, relative error ${relative(m.update, full.update)}`);
      for (const k of ['loss', 'batchLoss', 'memoryLoss'] as const) assert.ok(close(m.result[k], full.result[k]), `${what}: ${k} ${m.result[k]} vs ${full.result[k]}`);
      assert.deepEqual([m.result.batchStats, m.result.memoryStats], [full.result.batchStats, full.result.memoryStats], `${what}: pair counts`);
      assert.deepEqual(m.result.memoryAges, full.result.memoryAges, `${what}: in-loss staleness`);
      assert.ok(relative(m.result.embeddings!, full.result.embeddings!) <= TOLERANCE, `${what}: embeddings`);
      assert.deepEqual(m.memory.map((e) => [e.slot, e.sampleId, e.label, e.iteration]), full.memory.map((e) => [e.slot, e.sampleId, e.label, e.iteration]), `${what}: memory rows`);
      m.memory.forEach((e, r) => assert.ok(relative(e.embedding, full.memory[r].embedding) <= TOLERANCE, `${what}: memory row ${r}`));
    }));
  }
});

/** The webgpu variant (kernels recorded, awaited, replayed) is the same algorithm: identical numbers, run on cpu and wasm. */
for (const backend of ['cpu', 'wasm'] as const) test(`trainStepMicroBatchedAsyncReads equals trainStepMicroBatched bit for bit on ${backend}, for every case`, async () => {
  await tf.setBackend(backend);
  for (const c of CASES) {
    const did = await lockstep(c, [microBatched(3), microBatchedAsyncReads(3)]);
    did.forEach(([sync, asyncReads], t) => assert.deepEqual(asyncReads, sync, `${c.name}, step ${t + 1}`));
  }
});

for (const [name, step] of [['trainStepMicroBatched', trainStepMicroBatched], ['trainStepMicroBatchedAsyncReads', trainStepMicroBatchedAsyncReads]] as const) test(`${name} leaves no tensor behind (memory on, off, paused; embeddings kept or not; a key encoder)`, async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(3);
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, rng);
  const optimizer = tf.train.adam(1e-3);
  const memory = new CrossBatchMemory(20, DIM);
  const adapter = createAdapter({ kind: 'momentum', momentum: 0.9 }, { dim: DIM, trainClasses: 4, classesPerBatch: 4 });
  const keyEncoder = new KeyEncoder(model, 0.9);
  const loss = createLoss(CONTRASTIVE);
  const input = (iteration: number): StepInput => ({
    pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => rng.next()),
    labels: Int32Array.from({ length: B }, (_, i) => i % 4),
    sampleIds: Int32Array.from({ length: B }, (_, i) => iteration * B + i),
    iteration,
  });
  const modes: StepOptions[] = [
    { enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false },
    { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false, adapter, keyEncoder, inLossStaleness: true },
    { enqueue: true, memoryLoss: false, weight: 1, keepEmbeddings: true },
  ];
  // The first step creates the optimizer's slots and the key encoder's copy: count from after it.
  await step(model, loss, optimizer, memory, input(0), modes[1], 3);
  const tensors = tf.memory().numTensors;
  let it = 1;
  for (const mode of modes) {
    const r = await step(model, loss, optimizer, memory, input(it++), mode, 3);
    assert.ok(Number.isFinite(r.loss));
    assert.equal(tf.memory().numTensors, tensors, `tensors after a step with ${JSON.stringify({ ...mode, adapter: undefined, keyEncoder: undefined })}`);
  }
  keyEncoder.dispose();
  optimizer.dispose();
  tf.disposeVariables();
});
