/**
 * The device step (src/train/device-step.ts: one forward pass, the loss as tensor operations, no
 * read before the update) against trainStep on cpu, for contrastive and multi-similarity with
 * each reducer, with and without XBM (and the memory strategies that need no host features);
 * the choice of step on a backend that reads asynchronously, with its reason; the counts.
 *
 * The bound. Both steps compute S with the same op from the same weights, so at the first step
 * the inputs of the loss are identical; they differ in how dLoss/dS is evaluated: the host
 * kernels in float64 (then stored as float32), the tensor kernels in float32 with each
 * elementwise result rounded (u = 2^-24).
 *  - Contrastive's dLoss/dS is -w or +w, w the float32 rounding of 1/count on both sides:
 *    identical, so the steps are bit-identical (asserted).
 *  - Multi-similarity's entries are softmax weights e_k / z, e_k = exp(a_k - top), a = scale (s - base):
 *    rounding a (|a| <= A = max(alpha, beta) (1 + |base|)) and a - top (<= 2A) moves e_k by up
 *    to 3A u relatively, z (a sum of nr + 1 terms) by (nr + 1) u, the division and the unit's
 *    sum by 2u: eps_G = (3A + nr + 3) u per entry, relative to the row's largest entry (checked
 *    directly on dLoss/dS below, on cpu and wasm). The backward pass is the same ops on both
 *    sides and linear in dLoss/dS, but it sums nq x nr terms of both signs into each weight:
 *    where they cancel, the relative error grows by the ratio of the sum of their sizes to the
 *    size of their sum, which the arithmetic does not bound (the head's L2 normalisation cancels
 *    heavily at initialisation). So the weights' change after 3 plain SGD steps (the sum of the 3
 *    gradients; the weights' own differences change the later gradients only at the next order)
 *    is held, per tensor relative to its largest change, to the project's bound for the same step
 *    in other float arithmetic, relative 1e-3 (webgpu.test.ts's between backends); measured
 *    5.6e-5 on cpu (elementwise ops in float64, rounded) and 5.7e-4 on wasm (in float32).
 *  - --xbm-adapt moments corrects the stored rows on the device in float32 (host: float64): the
 *    rows then differ by about one ulp (measured 6e-8, compared at 1e-5), and every step's
 *    gradient through dq = dLoss/dS . ref moves like a change of summation order does: the same
 *    1e-3 (measured 4.0e-4 on cpu).
 * Mining decisions agree unless a similarity lies within one float32 ulp of a threshold (none
 * does here: the pair counts are compared exactly).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { initTestWasm } from '../backend/setup.js';
import { backendBuffers } from '../backend/compare.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss, type LossConfig } from '../../src/losses/create-loss.js';
import { LOSS_DEFAULTS } from '../../src/losses/registry.js';
import { REDUCERS } from '../../src/losses/reducers/registry.js';
import { createDeviceLoss, deviceLossRefusal } from '../../src/losses/device-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { createAdapter, type XbmAdaptConfig } from '../../src/memory/adapt/index.js';
import { PARITY_MODES } from '../../src/memory/parity/registry.js';
import { parityLossFields, type ParityMode } from '../../src/memory/parity/parity.js';
import { KeyEncoder } from '../../src/train/key-encoder.js';
import { trainStep, trainStepAsyncReads, type StepOptions, type StepResult } from '../../src/train/step.js';
import { asyncStepFor, deviceTrainStep } from '../../src/train/device-step.js';
import { stepMessages } from '../../src/messages/step.js';
import { Rng } from '../../src/random.js';
import { unitRows } from '../analysis/retrieval-reference.js';
import { countStep } from '../../scripts/step-counts.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

const SHAPE = [12, 16, 1] as const;
const B = 8;
const DIM = 8;
const CAPACITY = 20;
const STEPS = 3;
const LR = 0.05;
const U = 2 ** -24;

interface Case { name: string; loss: LossConfig; memory: boolean; adapt?: XbmAdaptConfig; parity?: ParityMode }
const CONTRASTIVE = LOSS_DEFAULTS.contrastive as LossConfig;
const MS = LOSS_DEFAULTS['multi-similarity'] as LossConfig;
const CASES: Case[] = [
  ...[CONTRASTIVE, MS].flatMap((base) => REDUCERS.flatMap((r) => [false, true].map((memory) => ({
    name: `${base.kind} ${r.kind}${memory ? ' + XBM' : ''}`, loss: { ...base, reducer: r.kind } as LossConfig, memory,
  })))),
  { name: 'contrastive margin 0.3 + XBM', loss: { kind: 'contrastive', margin: 0.3, reducer: 'mean-active' }, memory: true },
  { name: 'contrastive + XBM --xbm-adapt refresh-by-id', loss: CONTRASTIVE, memory: true, adapt: { kind: 'refresh-by-id' } as XbmAdaptConfig },
  { name: 'contrastive + XBM --xbm-adapt moments', loss: CONTRASTIVE, memory: true, adapt: { kind: 'moments' } as XbmAdaptConfig },
  { name: 'multi-similarity + XBM --xbm-adapt moments', loss: MS, memory: true, adapt: { kind: 'moments' } as XbmAdaptConfig },
  { name: 'contrastive + XBM --xbm-adapt momentum', loss: CONTRASTIVE, memory: true, adapt: { kind: 'momentum', momentum: 0.5 } as XbmAdaptConfig },
  ...PARITY_MODES.filter((p) => p.combine !== 'live-batch-plus-memory').map((p) => ({
    name: `contrastive + XBM --parity ${p.kind}`, loss: { ...CONTRASTIVE, ...parityLossFields(p, 'contrastive') } as LossConfig, memory: true, parity: p,
  })),
];

/** The step in other float arithmetic: webgpu.test.ts's bound between backends. */
const OTHER_ARITHMETIC = 1e-3;
/** eps_G derived above: dLoss/dS's error per entry relative to its row's largest, for a loss against nr references (0: identical). */
function entryBound(loss: LossConfig, nr: number): number {
  return loss.kind === 'multi-similarity' ? (3 * Math.max(loss.alpha, loss.beta) * (1 + Math.abs(loss.base)) + nr + 3) * U : 0;
}

type Step = (...a: Parameters<typeof trainStepAsyncReads>) => Promise<StepResult>;

/** STEPS steps from fixed weights and batches (sample ids return every other step, so the in-loss staleness sees drift). */
async function runCase(step: Step, c: Case, device: boolean) {
  const rng = new Rng(5);
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, rng);
  const optimizer = tf.train.sgd(LR);
  const memory = c.memory ? new CrossBatchMemory(CAPACITY, DIM) : null;
  const adapter = c.adapt ? createAdapter(c.adapt, { dim: DIM, trainClasses: 3, classesPerBatch: 3 }) : null;
  const keyEncoder = adapter?.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const loss = device ? createDeviceLoss(c.loss) : createLoss(c.loss);
  const start = model.variables.map((v) => Float32Array.from(v.dataSync()));
  const data = new Rng(9);
  const results: StepResult[] = [];
  const tensors: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const opts: StepOptions = { enqueue: c.memory, memoryLoss: c.memory && t >= 1, weight: 0.5, keepEmbeddings: t % 2 === 0, adapter, keyEncoder, inLossStaleness: c.memory, combine: c.parity?.combine };
    const input = {
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 3),
      sampleIds: Int32Array.from({ length: B }, (_, i) => ((t % 2) * B + i)),
      iteration: t + 1,
    };
    results.push(await step(model, loss, optimizer, memory, input, opts));
    tensors.push(tf.memory().numTensors);
  }
  const change = model.variables.map((v, i) => Float32Array.from(v.dataSync(), (w, k) => w - start[i][k]));
  const names = model.variables.map((v) => v.name);
  const entries = memory?.entries() ?? [];
  keyEncoder?.dispose();
  optimizer.dispose();
  tf.disposeVariables();
  return { results, change, names, entries, tensors };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-30, Math.abs(b));
const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

for (const backend of ['cpu', 'wasm'] as const) test(`the device step equals trainStep on ${backend}: 3 SGD steps of contrastive and multi-similarity, each reducer, with and without XBM, the memory strategies with a tensor version, the parity modes (contrastive identical; multi-similarity and moments within relative 1e-3; pair counts, memory bookkeeping exact)`, async (t) => {
  await tf.setBackend(backend);
  for (const c of CASES) {
    const sync = async (...a: Parameters<typeof trainStep>) => trainStep(...a);
    const ref = await runCase(sync, c, false);
    const got = await runCase(deviceTrainStep, c, true);
    // Contrastive without moments: identical dLoss/dS, so identical steps.
    const bound = c.adapt?.kind === 'moments' || c.loss.kind === 'multi-similarity' ? OTHER_ARITHMETIC : 0;
    const worst = ref.change.map((w, i) => maxAbs(w.map((x, k) => got.change[i][k] - x)) / maxAbs(w));
    t.diagnostic(`${c.name}: worst relative change difference ${Math.max(...worst).toExponential(2)} (bound ${bound.toExponential(2)})`);
    worst.forEach((e, i) => assert.ok(e <= bound, `${c.name}: ${ref.names[i]} changed differently by ${e.toExponential(2)} of its largest change (bound ${bound.toExponential(2)})`));
    ref.results.forEach((r, s) => {
      const g = got.results[s];
      assert.deepEqual([g.batchStats, g.memoryStats], [r.batchStats, r.memoryStats], `${c.name}, step ${s + 1}: pair counts`);
      for (const key of ['loss', 'batchLoss', 'memoryLoss'] as const) {
        assert.ok(Math.abs(g[key] - r[key]) <= 1e-5 * Math.max(1, Math.abs(r[key])), `${c.name}, step ${s + 1}: ${key} ${g[key]} vs ${r[key]}`);
      }
      assert.equal(g.embeddings === null, r.embeddings === null);
      if (r.embeddings) assert.ok(maxAbs(g.embeddings!.map((x, k) => x - r.embeddings![k])) <= 1e-5, `${c.name}, step ${s + 1}: embeddings`);
      assert.equal(g.memoryAges === null, r.memoryAges === null, `${c.name}: in-loss staleness`);
      r.memoryAges?.forEach((b, k) => {
        const d = g.memoryAges![k];
        assert.deepEqual({ ...d, mean_sq_drift: 0, max_sq_drift: 0 }, { ...b, mean_sq_drift: 0, max_sq_drift: 0 }, `${c.name}, step ${s + 1}: age bin ${b.age_bin}`);
        for (const key of ['mean_sq_drift', 'max_sq_drift'] as const) {
          assert.ok(Number.isNaN(b[key]) ? Number.isNaN(d[key]) : relative(d[key], b[key]) <= 1e-5, `${c.name}, step ${s + 1}: ${key} ${d[key]} vs ${b[key]}`);
        }
      });
    });
    if (c.memory) {
      assert.ok(ref.results.some((r) => r.memoryStats.positive > 0), `${c.name}: the memory term saw pairs`);
      assert.ok(ref.results.some((r) => r.memoryAges?.some((b) => b.returned > 0)), `${c.name}: samples came back`);
      assert.deepEqual(got.entries.map(({ embedding: _, ...e }) => e), ref.entries.map(({ embedding: _, ...e }) => e), `${c.name}: memory bookkeeping`);
      got.entries.forEach((e, k) => assert.ok(maxAbs(e.embedding.map((x, j) => x - ref.entries[k].embedding[j])) <= 1e-5, `${c.name}: memory row ${k}`));
    }
    assert.deepEqual(got.tensors.slice(1), got.tensors.slice(1).map(() => got.tensors[1]), `${c.name}: tensors per step (no leak)`);
  }
});

for (const backend of ['cpu', 'wasm'] as const) test(`multi-similarity's dLoss/dS on the device (${backend}) is within eps_G of the host kernel's, per entry relative to its row; contrastive's is identical`, async () => {
  await tf.setBackend(backend);
  // With ref = I, S = q and dLoss/dq = dLoss/dS: the gradient of compute() w.r.t. q is the kernel's.
  const nq = 12;
  const nr = 16;
  const rng = new Rng(4);
  const q = unitRows(rng, nq, nr);
  const qLabels = Int32Array.from({ length: nq }, (_, i) => i % 3);
  const refLabels = Int32Array.from({ length: nr }, (_, j) => j % 4);
  const selfIndex = Int32Array.from({ length: nq }, (_, i) => (i % 4 === 0 ? i : -1));
  for (const cfg of [...REDUCERS.map((r) => ({ ...MS, reducer: r.kind }) as LossConfig), { ...CONTRASTIVE, reducer: 'mean-active' } as LossConfig]) {
    const grads = [createLoss(cfg), createDeviceLoss(cfg)].map((loss) => tf.tidy(() => {
      const ql = tf.tensor1d(qLabels, 'int32');
      const rl = tf.tensor1d(refLabels, 'int32');
      const eye = tf.eye(nr) as tf.Tensor2D;
      const out = { stats: [] as number[] };
      const g = tf.grad((x: tf.Tensor) => {
        const r = loss.compute(x as tf.Tensor2D, ql, eye, rl, selfIndex);
        out.stats = [r.stats.positive, r.stats.negative, r.stats.active].map((t) => t.dataSync()[0]);
        return r.loss;
      })(tf.tensor2d(q, [nq, nr]));
      return { grad: g.dataSync().slice(), stats: out.stats };
    }));
    const [host, device] = grads;
    assert.deepEqual(device.stats, host.stats, `${cfg.kind} ${cfg.reducer}: pair counts`);
    assert.ok(host.grad.some((x) => x !== 0), 'a non-zero gradient');
    const bound = entryBound(cfg, nr);
    for (let i = 0; i < nq; i++) {
      const row = host.grad.subarray(i * nr, (i + 1) * nr);
      const scale = maxAbs(row);
      row.forEach((x, k) => {
        const err = Math.abs(device.grad[i * nr + k] - x);
        assert.ok(err <= bound * scale, `${cfg.kind} ${cfg.reducer}: dLoss/dS[${i}, ${k}] ${device.grad[i * nr + k]} vs ${x} (bound ${bound.toExponential(2)} of ${scale})`);
      });
    }
  }
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`the device step leaks no tensors or buffers on ${backend} (memory off, on, paused; embeddings kept; moments)`, async () => {
    await tf.setBackend(backend);
    const rng = new Rng(3);
    const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, rng);
    const optimizer = tf.train.adam(1e-3);
    const memory = new CrossBatchMemory(CAPACITY, DIM);
    const adapter = createAdapter({ kind: 'moments' } as XbmAdaptConfig, { dim: DIM, trainClasses: 4, classesPerBatch: 4 });
    const loss = createDeviceLoss(MS);
    const input = (iteration: number) => ({
      pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => rng.next()),
      labels: Int32Array.from({ length: B }, (_, i) => i % 4),
      sampleIds: Int32Array.from({ length: B }, (_, i) => (iteration % 3) * B + i),
      iteration,
    });
    const modes: StepOptions[] = [
      { enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false },
      { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false, inLossStaleness: true },
      { enqueue: true, memoryLoss: false, weight: 1, keepEmbeddings: true, inLossStaleness: true },
      { enqueue: false, memoryLoss: true, weight: 0.5, keepEmbeddings: true },
      { enqueue: true, memoryLoss: true, weight: 0.5, keepEmbeddings: true, adapter, inLossStaleness: true },
      { enqueue: true, memoryLoss: false, weight: 1, keepEmbeddings: false, adapter },
    ];
    try {
      await deviceTrainStep(model, loss, optimizer, memory, input(0), modes[1]); // Adam's slots
      const tensors = tf.memory().numTensors;
      const buffers = backendBuffers();
      let it = 1;
      for (const mode of modes) {
        for (let k = 0; k < 2; k++) {
          const r = await deviceTrainStep(model, loss, optimizer, memory, input(it++), mode);
          assert.ok(Number.isFinite(r.loss));
          assert.equal(r.embeddings?.length, mode.keepEmbeddings ? B * DIM : undefined);
          if (mode.memoryLoss) assert.ok(r.memoryStats.positive > 0, 'the memory loss saw pairs');
          else assert.equal(r.memoryLoss, 0);
          assert.equal(tf.memory().numTensors, tensors, `tensors after a step with ${JSON.stringify({ ...mode, adapter: !!mode.adapter })}`);
          assert.equal(backendBuffers(), buffers, `backend buffers after a step with ${JSON.stringify({ ...mode, adapter: !!mode.adapter })}`);
        }
      }
    } finally {
      optimizer.dispose();
      tf.disposeVariables();
    }
  });
}

test('the memory stays on the device between steps: uploaded once, then again only after a write the step did not make (an initial fill, a resume)', async () => {
  await tf.setBackend('cpu');
  const run = async (device: boolean) => {
    const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, new Rng(1));
    const optimizer = tf.train.sgd(LR);
    const memory = new CrossBatchMemory(CAPACITY, DIM);
    const uploads: number[] = [];
    const view = memory.view.bind(memory);
    let calls = 0;
    memory.view = () => (calls++, view());
    const data = new Rng(2);
    const results: StepResult[] = [];
    for (let t = 1; t <= 5; t++) {
      if (t === 4) {
        // A write from outside the step: rows of a fourth label, as an initial fill would add.
        const ids = Int32Array.from({ length: 4 }, (_, i) => 100 + i);
        memory.enqueue(Float32Array.from({ length: 4 * DIM }, (_, k) => (k % DIM === k % 4 ? 1 : 0)), Int32Array.from(ids, () => 3), ids, t);
      }
      calls = 0;
      const input = {
        pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
        labels: Int32Array.from({ length: B }, (_, i) => i % 4),
        sampleIds: Int32Array.from({ length: B }, (_, i) => t * B + i),
        iteration: t,
      };
      const opts: StepOptions = { enqueue: true, memoryLoss: t > 1, weight: 1, keepEmbeddings: false };
      results.push(device ? await deviceTrainStep(model, createDeviceLoss(CONTRASTIVE), optimizer, memory, input, opts) : trainStep(model, createLoss(CONTRASTIVE), optimizer, memory, input, opts));
      uploads.push(calls);
    }
    const weights = model.variables.map((v) => Array.from(v.dataSync()));
    optimizer.dispose();
    tf.disposeVariables();
    return { uploads, results, weights };
  };
  const host = await run(false);
  const device = await run(true);
  assert.deepEqual(device.uploads, [1, 0, 0, 1, 0], 'uploads per step');
  host.results.forEach((r, t) => {
    const g = device.results[t];
    assert.deepEqual([g.batchStats, g.memoryStats], [r.batchStats, r.memoryStats], `step ${t + 1}: pair counts (the fill's label seen from step 4)`);
    assert.ok(Math.abs(g.memoryLoss - r.memoryLoss) <= 1e-5 * Math.max(1, r.memoryLoss), `step ${t + 1}: memory loss ${g.memoryLoss} vs ${r.memoryLoss}`);
  });
  assert.deepEqual(device.weights, host.weights, 'contrastive: the same weights');
});

test('the device step embeds once and reads nothing before the update; the record/replay step embeds twice and waits mid-step', async () => {
  await tf.setBackend('cpu');
  const model = createEmbedder({ kind: 'cnn', channels: [4, 8], dim: DIM }, SHAPE, new Rng(1));
  const optimizer = tf.train.adam(1e-3);
  const memory = new CrossBatchMemory(CAPACITY, DIM);
  const data = new Rng(2);
  const input = (t: number) => ({
    pixels: Float32Array.from({ length: B * SHAPE[0] * SHAPE[1] }, () => data.next()),
    labels: Int32Array.from({ length: B }, (_, i) => i % 3),
    sampleIds: Int32Array.from({ length: B }, (_, i) => t * B + i),
    iteration: t,
  });
  const opts: StepOptions = { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: true, inLossStaleness: true };
  try {
    const device = createDeviceLoss(MS);
    const host = createLoss(MS);
    await deviceTrainStep(model, device, optimizer, memory, input(1), opts); // Adam's slots exist from here
    const d = await countStep(model, optimizer, () => deviceTrainStep(model, device, optimizer, memory, input(2), opts));
    assert.deepEqual({ ...d.counts, readsAfterUpdate: 0 }, { forwards: 1, readsBeforeUpdate: 0, readsAfterUpdate: 0, blockingReads: 0 });
    assert.ok(d.counts.readsAfterUpdate > 0, 'the metrics are read after the update');
    const a = await countStep(model, optimizer, () => trainStepAsyncReads(model, host, optimizer, memory, input(3), opts));
    assert.equal(a.counts.forwards, 2);
    assert.ok(a.counts.readsBeforeUpdate > 0);
  } finally {
    optimizer.dispose();
    tf.disposeVariables();
  }
});

test('a backend that reads asynchronously trains with the device step where the configuration has a tensor version, else with the record/replay step and the reason', () => {
  const none = createAdapter({ kind: 'none' } as XbmAdaptConfig, { dim: DIM, trainClasses: 3, classesPerBatch: 3 });
  const sdc = createAdapter({ kind: 'sdc' } as XbmAdaptConfig, { dim: DIM, trainClasses: 3, classesPerBatch: 3 });
  const xbm = (adapt: string, combine?: ParityMode['combine']) => ({ size: 16, adapt: { kind: adapt }, combine });
  const host = () => createLoss(CONTRASTIVE);
  const device = asyncStepFor({ loss: CONTRASTIVE, xbm: xbm('none') }, none, host);
  assert.equal(device.step, deviceTrainStep);
  assert.equal(device.note, stepMessages.deviceStep());
  const moments = createAdapter({ kind: 'moments' } as XbmAdaptConfig, { dim: DIM, trainClasses: 3, classesPerBatch: 3 });
  assert.equal(asyncStepFor({ loss: CONTRASTIVE, xbm: xbm('moments') }, moments, host).step, deviceTrainStep, '--xbm-adapt moments has a tensor version');
  const triplet = LOSS_DEFAULTS.triplet as LossConfig;
  const cases: [Parameters<typeof asyncStepFor>[0], ReturnType<typeof createAdapter> | null, string][] = [
    [{ loss: triplet, xbm: xbm('none') }, none, stepMessages.noTensorLoss('triplet')],
    [{ loss: CONTRASTIVE, xbm: xbm('sdc') }, sdc, stepMessages.adaptOnHost('sdc')],
    [{ loss: CONTRASTIVE, xbm: xbm('none', 'live-batch-plus-memory') }, none, stepMessages.liveBatchColumns()],
  ];
  for (const [config, adapter, reason] of cases) {
    const choice = asyncStepFor(config, adapter, host);
    assert.equal(choice.step, trainStepAsyncReads, reason);
    assert.equal(choice.note, stepMessages.hostKernelStep(reason));
  }
  assert.equal(deviceLossRefusal(triplet), stepMessages.noTensorLoss('triplet'));
  assert.equal(deviceLossRefusal(LOSS_DEFAULTS['triplet-global'] as LossConfig), stepMessages.noTensorLoss('triplet-global'));
  assert.throws(() => createDeviceLoss(triplet), { message: stepMessages.noTensorLoss('triplet') });
  // Without a memory the strategy does not matter.
  assert.equal(asyncStepFor({ loss: MS, xbm: { size: 0, adapt: { kind: 'sdc' } } }, null, host).step, deviceTrainStep);
});
