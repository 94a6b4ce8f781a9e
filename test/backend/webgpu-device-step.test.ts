/**
 * The device step (src/train/device-step.ts) on webgpu: against trainStep on cpu for contrastive
 * and multi-similarity with and without XBM; one forward pass and no read before the update; and
 * the trainer choosing it on webgpu (run.json's backend notes), with metrics.csv's columns as on
 * cpu. Runs where Dawn finds an adapter (a GPU, or Mesa 25's llvmpipe); elsewhere one skip, under
 * CI or with XBM_REQUIRE_WEBGPU=1 a failure (fixtures/webgpu-required.ts).
 *
 * The bounds, after 3 plain SGD steps (a tensor's change is lr times the sum of 3 gradients),
 * each tensor's change relative to its largest:
 *  - contrastive against the record/replay step on webgpu (trainStepAsyncReads: the same
 *    embeddings, the loss on the host in float64): identical, as on cpu (its dLoss/dS is the
 *    same float32 constants);
 *  - contrastive against trainStep on cpu: relative 1e-3, webgpu.test.ts's bound for a step's
 *    gradients between backends (convolutions and reductions sum in another order; measured
 *    4.3e-4 at full size);
 *  - multi-similarity: dLoss/dS itself within eps_G of the host kernel's per entry (derived in
 *    test/train/device-step.test.ts; measured 2 u on llvmpipe). Its weights are compared with
 *    how far the record/replay step (the step this one replaces) already is from cpu: the
 *    backward pass through the head's L2 normalisation cancels heavily for this loss at
 *    initialisation, so a 1e-7 difference in dLoss/dS (or a similarity's 1e-6 between backends,
 *    times beta = 50) becomes 2.9e-3 of the head's change, for both steps alike. The device
 *    step must be no further from cpu than max(1e-3, 1.5 x the record/replay step's distance).
 * Pair counts and the memory's bookkeeping are compared exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { initBackend, shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder, REFERENCE_INPUT } from '../../src/model/embedder.js';
import { createLoss, LOSS_DEFAULTS, type LossConfig } from '../../src/losses/create-loss.js';
import { createDeviceLoss } from '../../src/losses/device-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep, trainStepAsyncReads, type StepOptions, type StepResult } from '../../src/train/step.js';
import { deviceTrainStep } from '../../src/train/device-step.js';
import { stepMessages } from '../../src/messages/step.js';
import { readCsv } from '../../src/io/csv.js';
import type { MetricsRow } from '../../src/io/tables.js';
import { Rng } from '../../src/random.js';
import { unitRows } from '../analysis/retrieval-reference.js';
import { countStep } from '../../scripts/step-counts.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { randomArray } from './compare.js';
import { webgpuAdapterOrSkip } from './fixtures/webgpu-required.js';

after(async () => {
  await shutdownBackend();
});

const [H, W, C] = REFERENCE_INPUT;
const B = 8;
const DIM = 16;
const LR = 0.05;
const BOUND = 1e-3;
const U = 2 ** -24;
/** eps_G (test/train/device-step.test.ts) for nr references. */
const entryBound = (loss: LossConfig, nr: number) => (loss.kind === 'multi-similarity' ? (3 * Math.max(loss.alpha, loss.beta) * (1 + Math.abs(loss.base)) + nr + 3) * U : 0);
type Variant = 'trainStep' | 'record/replay' | 'device';

async function run(variant: Variant, loss: LossConfig, withMemory: boolean) {
  await tf.setBackend(variant === 'trainStep' ? 'cpu' : 'webgpu');
  const model = createEmbedder({ kind: 'cnn', channels: [8, 16], dim: DIM }, REFERENCE_INPUT, new Rng(7));
  const start = await Promise.all(model.variables.map(async (v) => Float32Array.from(await v.data())));
  const optimizer = tf.train.sgd(LR);
  const memory = withMemory ? new CrossBatchMemory(16, DIM) : null;
  const data = new Rng(8);
  const results: StepResult[] = [];
  try {
    for (let it = 1; it <= 3; it++) {
      const input = {
        pixels: randomArray(data, [B, H, W, C]).values,
        labels: Int32Array.from({ length: B }, (_, i) => i % 3),
        sampleIds: Int32Array.from({ length: B }, (_, i) => (it % 2) * B + i),
        iteration: it,
      };
      const opts: StepOptions = { enqueue: withMemory, memoryLoss: withMemory && it > 1, weight: 0.5, keepEmbeddings: false, inLossStaleness: withMemory };
      results.push(variant === 'trainStep' ? trainStep(model, createLoss(loss), optimizer, memory, input, opts)
        : variant === 'record/replay' ? await trainStepAsyncReads(model, createLoss(loss), optimizer, memory, input, opts)
          : await deviceTrainStep(model, createDeviceLoss(loss), optimizer, memory, input, opts));
    }
    const change = await Promise.all(model.variables.map(async (v, i) => Float32Array.from(await v.data(), (w, k) => w - start[i][k])));
    return { results, change, names: model.variables.map((v) => v.name), entries: memory?.entries().map(({ embedding: _, ...e }) => e) ?? [] };
  } finally {
    optimizer.dispose();
    tf.dispose(model.variables);
  }
}

const maxAbs = (xs: ArrayLike<number>) => Array.from(xs).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

test('the device step on webgpu', async (t) => {
  if ((await webgpuAdapterOrSkip(t)) === null) return;
  await initBackend({ backend: 'webgpu', asyncReadsOnly: true });

  type Run = Awaited<ReturnType<typeof run>>;
  /** Each tensor's change in `got` against `ref`, relative to ref's largest change of that tensor. */
  const distances = (got: Run, ref: Run) => ref.change.map((w, i) => maxAbs(w.map((x, k) => got.change[i][k] - x)) / maxAbs(w));
  const compare = (st: { diagnostic(m: string): void }, name: string, got: Run, ref: Run, bound: (tensor: number) => number) => {
    const worst = distances(got, ref);
    st.diagnostic(`${name}: worst relative change difference ${Math.max(...worst).toExponential(2)}`);
    worst.forEach((e, i) => assert.ok(e <= bound(i), `${name}: ${ref.names[i]} ${e.toExponential(2)} (bound ${bound(i).toExponential(2)})`));
    ref.results.forEach((r, s) => {
      const g = got.results[s];
      assert.deepEqual([g.batchStats, g.memoryStats], [r.batchStats, r.memoryStats], `${name}, step ${s + 1}: pair counts`);
      assert.ok(Math.abs(g.loss - r.loss) <= BOUND * Math.max(1, Math.abs(r.loss)), `${name}, step ${s + 1}: loss ${g.loss} vs ${r.loss}`);
      assert.deepEqual(g.memoryAges?.map((b) => [b.age_bin, b.entries, b.pairs, b.returned]), r.memoryAges?.map((b) => [b.age_bin, b.entries, b.pairs, b.returned]));
    });
    assert.deepEqual(got.entries, ref.entries, `${name}: memory bookkeeping`);
  };
  const CONTRASTIVE = LOSS_DEFAULTS.contrastive as LossConfig;
  const MS = { ...LOSS_DEFAULTS['multi-similarity'], reducer: 'mean-active' } as LossConfig;

  await t.test('contrastive, with and without XBM: identical to the record/replay step on webgpu; within relative 1e-3 of trainStep on cpu', async (st) => {
    for (const withMemory of [false, true]) {
      const [cpu, rr, device] = [await run('trainStep', CONTRASTIVE, withMemory), await run('record/replay', CONTRASTIVE, withMemory), await run('device', CONTRASTIVE, withMemory)];
      compare(st, `contrastive${withMemory ? ' + XBM' : ''} against record/replay`, device, rr, () => 0);
      compare(st, `contrastive${withMemory ? ' + XBM' : ''} against trainStep on cpu`, device, cpu, () => BOUND);
    }
  });

  await t.test('multi-similarity, with and without XBM: no further from trainStep on cpu than the record/replay step is (max(1e-3, 1.5 x its distance) per tensor)', async (st) => {
    for (const withMemory of [false, true]) {
      const [cpu, rr, device] = [await run('trainStep', MS, withMemory), await run('record/replay', MS, withMemory), await run('device', MS, withMemory)];
      const replayed = distances(rr, cpu);
      compare(st, `multi-similarity${withMemory ? ' + XBM' : ''} against trainStep on cpu`, device, cpu, (i) => Math.max(BOUND, 1.5 * replayed[i]));
      st.diagnostic(`  (record/replay against cpu: ${Math.max(...replayed).toExponential(2)})`);
    }
  });

  await t.test('multi-similarity\'s dLoss/dS on webgpu is within eps_G of the host kernel\'s, per entry relative to its row', async () => {
    // With ref = I, S = q and dLoss/dq = dLoss/dS.
    const nq = 12;
    const nr = 16;
    const rng = new Rng(4);
    const q = unitRows(rng, nq, nr);
    const grad = async (backend: string, loss: ReturnType<typeof createLoss>) => {
      await tf.setBackend(backend);
      const ql = tf.tensor1d(Int32Array.from({ length: nq }, (_, i) => i % 3), 'int32');
      const rl = tf.tensor1d(Int32Array.from({ length: nr }, (_, j) => j % 4), 'int32');
      const eye = tf.eye(nr) as tf.Tensor2D;
      const x = tf.tensor2d(q, [nq, nr]);
      const g = tf.grad((v: tf.Tensor) => loss.compute(v as tf.Tensor2D, ql, eye, rl).loss)(x);
      const values = Float32Array.from(await g.data());
      tf.dispose([ql, rl, eye, x, g]);
      return values;
    };
    for (const reducer of ['sum-per-query', 'mean-active', 'mean'] as const) {
      const cfg = { ...MS, reducer } as LossConfig;
      const host = await grad('cpu', createLoss(cfg));
      const device = await grad('webgpu', createDeviceLoss(cfg));
      const bound = entryBound(cfg, nr);
      for (let i = 0; i < nq; i++) {
        const scale = maxAbs(host.subarray(i * nr, (i + 1) * nr));
        for (let k = i * nr; k < (i + 1) * nr; k++) assert.ok(Math.abs(device[k] - host[k]) <= bound * scale, `${reducer}: dLoss/dS[${k}] ${device[k]} vs ${host[k]}`);
      }
    }
  });

  await t.test('one forward pass, no read before the update, no blocking read', async () => {
    await tf.setBackend('webgpu');
    const model = createEmbedder({ kind: 'cnn', channels: [8, 16], dim: DIM }, REFERENCE_INPUT, new Rng(7));
    const optimizer = tf.train.adam(1e-3);
    const memory = new CrossBatchMemory(16, DIM);
    const loss = createDeviceLoss(LOSS_DEFAULTS['multi-similarity'] as LossConfig);
    const data = new Rng(9);
    const step = (it: number) => deviceTrainStep(model, loss, optimizer, memory, {
      pixels: randomArray(data, [B, H, W, C]).values,
      labels: Int32Array.from({ length: B }, (_, i) => i % 3),
      sampleIds: Int32Array.from({ length: B }, (_, i) => it * B + i),
      iteration: it,
    }, { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: true, inLossStaleness: true });
    try {
      await step(1);
      const tensors = tf.memory().numTensors;
      const { counts } = await countStep(model, optimizer, () => step(2));
      assert.deepEqual({ ...counts, readsAfterUpdate: 0 }, { forwards: 1, readsBeforeUpdate: 0, readsAfterUpdate: 0, blockingReads: 0 });
      await step(3);
      assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
    } finally {
      optimizer.dispose();
      tf.dispose(model.variables);
    }
  });

  await t.test('the trainer trains with the device step on webgpu (run.json says so) and writes metrics.csv as on cpu', async () => {
    const dir = tempDir(t);
    const flags: Record<string, string> = { '--iterations': '4', '--xbm-size': '16', '--xbm-start': '1', '--xbm-adapt': 'none', '--loss': 'multi-similarity', '--eval-every': '0', '--snapshot-every': '0' };
    const [gpu, cpu] = await Promise.all(['webgpu', 'cpu'].map(async (backend) => {
      const out = join(dir, backend);
      const r = await runCli(['train', ...tinyTrain({ ...flags, '--backend': backend }), '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      return out;
    }));
    const notes: string[] = JSON.parse(readFileSync(join(gpu, 'run.json'), 'utf8')).backend.notes;
    assert.ok(notes.includes(stepMessages.deviceStep()), notes.join(' | '));
    const [a, b] = await Promise.all([gpu, cpu].map((r) => readCsv<MetricsRow>(join(r, 'metrics.csv'))));
    assert.deepEqual(Object.keys(a[0]), Object.keys(b[0]));
    assert.equal(a.length, b.length);
    a.forEach((row, i) => {
      for (const k of ['batch_pos_pairs', 'batch_neg_pairs', 'memory_pos_pairs', 'memory_neg_pairs', 'memory_fill', 'xbm_active'] as const) assert.equal(row[k], b[i][k], `row ${i + 1}: ${k}`);
    });
  });
});
