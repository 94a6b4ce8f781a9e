/**
 * The whole pipeline on webgpu, through the CLI as a user runs it (issue 23): a tiny `train` with
 * XBM from a fixed start and `--xbm-adapt moments`, `eval`, `drift`, and a run stopped by Ctrl-C
 * (SIGINT) and finished by `--resume`, which must be bit-identical to the uninterrupted webgpu run;
 * then the webgpu run against the same run on cpu within the bounds stated below. Runs where Dawn
 * finds an adapter (a GPU, or Mesa 25's llvmpipe); elsewhere one skip, under CI a failure
 * (fixtures/webgpu-required.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import { readFloatBundle } from '../../src/io/float-bundle.js';
import { readSnapshot } from '../../src/io/snapshot-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { readDriftTable } from '../../src/io/formats/drift-table.js';
import { latestCheckpoint } from '../../src/train/checkpoint.js';
import type { EvalRow, MetricsRow } from '../../src/io/tables.js';
import { TOL } from '../helpers/tolerances.js';
import { webgpuAdapterOrSkip } from './fixtures/webgpu-required.js';

const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));

const ITERATIONS = 10;
const LR = 1e-3;
const DIM = 8;
/** w: the loss is L(b,b) + w L(b,M). */
const XBM_WEIGHT = 1;
/** 50 test classes x 4 images: Recall@K is a multiple of 1/TEST_SIZE. */
const TEST_SIZE = 200;
const TRAIN = [
  '--dataset', 'mnist2', '--images-per-class', '4',
  '--model', 'cnn', '--channels', '4,8,8', '--dim', String(DIM), '--classes-per-batch', '4', '--per-class', '2',
  '--iterations', String(ITERATIONS), '--lr', String(LR), '--seed', '3',
  '--xbm-size', '16', '--xbm-start', '2', '--xbm-weight', String(XBM_WEIGHT), '--xbm-adapt', 'moments',
  '--probe-size', '16', '--snapshot-every', '4', '--snapshot-offsets', '1', '--eval-every', '0', '--checkpoint-every', '3', '--quiet',
];

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const checkpointAt = (run: string) => latestCheckpoint(runPaths(run).checkpoints)?.iteration ?? 0;
/** A table's rows without its wall-clock columns (ms_*), which no two runs share. */
const untimed = <T extends object>(rows: T[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('ms_'))));

/** `train` on webgpu, stopped by SIGINT once a checkpoint is on disk: the trainer finishes the step, checkpoints it and exits 130. */
async function trainInterrupted(out: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...TRAIN, '--backend', 'webgpu', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited && checkpointAt(out) < 3) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGINT');
  return done;
}

/** The final checkpoint's weights by name. */
function finalWeights(run: string): Map<string, Float32Array> {
  return new Map(readFloatBundle(latestCheckpoint(runPaths(run).checkpoints)!.path, 'weights').map((e) => [e.name, e.values]));
}

/** Every snapshot's embeddings (in probe order) by iteration. */
function snapshots(run: string): Map<number, { embeddings: Float32Array; dim: number }> {
  const dir = runPaths(run).snapshots;
  return new Map(readdirSync(dir).sort().map((f) => {
    const s = readSnapshot(join(dir, f));
    return [s.iteration, { embeddings: s.embeddings, dim: s.dim }];
  }));
}

test('the pipeline on webgpu: train (XBM, moments), eval, drift, and Ctrl-C + --resume bit-identical; against cpu within stated bounds', async (t) => {
  const adapter = await webgpuAdapterOrSkip(t);
  if (adapter === null) return;
  t.diagnostic(`adapter: ${adapter.description}`);
  const dir = tempDir(t);
  const [gpu, cpu, resumed] = ['webgpu', 'cpu', 'resumed'].map((n) => join(dir, n));
  const started = Date.now();
  const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The three runs side by side: the interrupted one's result must not depend on when Ctrl-C lands.
  const [a, c, stopped] = await Promise.all([
    runCli(['train', ...TRAIN, '--backend', 'webgpu', '--out', gpu]),
    runCli(['train', ...TRAIN, '--backend', 'cpu', '--out', cpu]),
    trainInterrupted(resumed),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(json(join(gpu, 'run.json')).backend.name, 'webgpu');
  assert.equal(json(join(cpu, 'run.json')).backend.name, 'cpu');
  assert.equal(stopped.code, 130, stopped.stderr);
  const interrupted = json(join(resumed, 'run.json'));
  assert.equal(interrupted.status, 'interrupted');
  assert.ok(interrupted.iterationsDone >= 3 && interrupted.iterationsDone < ITERATIONS, `stopped at ${interrupted.iterationsDone}`);
  assert.equal(checkpointAt(resumed), interrupted.iterationsDone, 'checkpointed where it stopped');
  const r = await runCli(['train', '--resume', resumed, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  lap(`train on webgpu, on cpu, and on webgpu stopped by Ctrl-C at ${interrupted.iterationsDone}, then --resume`);

  const evals = await Promise.all([runCli(['eval', gpu]), runCli(['eval', cpu])]);
  const drifts = await Promise.all([runCli(['drift', gpu]), runCli(['drift', cpu])]);
  for (const e of [...evals, ...drifts]) assert.equal(e.code, 0, e.stderr);
  lap('eval and drift');

  await t.test('--resume after Ctrl-C is bit-identical to the uninterrupted webgpu run', async () => {
    const record = json(join(resumed, 'run.json'));
    assert.equal(record.status, 'completed');
    assert.equal(record.resumes.length, 1);
    assert.deepEqual(untimed(await readCsv<MetricsRow>(join(resumed, 'metrics.csv'))), untimed(await readCsv<MetricsRow>(join(gpu, 'metrics.csv'))));
    assert.deepEqual(untimed(await readCsv<EvalRow>(join(resumed, 'eval.csv'))), untimed(await readCsv<EvalRow>(join(gpu, 'eval.csv'))));
    assert.equal(readFileSync(join(resumed, 'memory-staleness.csv'), 'utf8'), readFileSync(join(gpu, 'memory-staleness.csv'), 'utf8'));
    const [sa, sb] = [snapshots(gpu), snapshots(resumed)];
    assert.deepEqual([...sb.keys()], [...sa.keys()]);
    for (const [it, s] of sa) assert.deepEqual(sb.get(it)!.embeddings, s.embeddings, `snapshot ${it}`);
    const [ca, cb] = [latestCheckpoint(runPaths(gpu).checkpoints)!, latestCheckpoint(runPaths(resumed).checkpoints)!];
    assert.equal(cb.iteration, ITERATIONS);
    for (const file of ['weights.bin', 'optimizer.bin', 'floats.bin', 'state.json']) {
      assert.ok(readFileSync(join(cb.path, file)).equals(readFileSync(join(ca.path, file))), `final checkpoint: ${file} differs`);
    }
  });

  await t.test('eval reloads the webgpu checkpoint and reproduces the trainer\'s final evaluation exactly', async () => {
    const last = (await readCsv<EvalRow>(join(gpu, 'eval.csv'))).at(-1)!;
    const e = json(join(gpu, 'analysis', 'eval.json'));
    assert.equal(e.iteration, ITERATIONS);
    for (const k of ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'nmi'] as const) assert.equal(e[k], last[k], k);
  });

  /*
   * The bounds against cpu. The two runs share seeds, data, batches and initial weights; only float32
   * rounding differs (kernels' summation order), and Adam feeds it back into the weights.
   * - The schedule, memory fill and pair counts are exact; so are the active pair counts: the model
   *   stays near its start (lr 1e-3, 10 steps), every pair is active, and no similarity lies within
   *   the backends' gap of the margin.
   * - Weights: at most 1 lr per element, as in webgpu.test.ts (Adam moves every element by about lr
   *   whatever its gradient's size, so an element whose gradient is float32 noise around zero differs
   *   by a fraction of lr; a wrong gradient on a real one differs by about 2 lr per step). Measured on
   *   llvmpipe: 0.016 lr.
   * - Probe embeddings (unit rows): at iteration 0 the weights are the same, so only the forward
   *   kernels' rounding: TOL.kernelRelative. Later at most E_MAX per component; measured 3.5e-6.
   * - Losses, relative 1e-4 at every iteration: with the same active pairs each of mean-active's two
   *   groups is a mean of 1-Lipschitz functions of the similarities, so |dL| <= 2 (1 + w) max |ds|,
   *   and |ds| <= |de| + |df| <= 2 sqrt(dim) E for unit rows: 4 x 2 sqrt(8) x 3.5e-6 = 7.9e-5 on a
   *   total loss of about 1 (2 x 2 sqrt(8) x 3.5e-6 = 4e-5 on each part of about 0.5). Measured 1.2e-7.
   * - Drift (analysis/drift.csv, from the snapshots): per probe sample x = |a - b|^2 and
   *   x' = |a' - b'|^2 differ by at most (|a - a'| + |b - b'|)(|a - b| + |a' - b'|); the mean, the
   *   quantiles and the max each move by at most the largest such difference, which the test computes
   *   from the two runs' snapshots (plus float64 slack).
   * - The trainer's online drift D(t; S) (metrics.csv): the same argument with |a - a'| <= sqrt(dim) E
   *   and mean |a - b| <= sqrt(D) (Jensen): |dD| <= eps (2 sqrt(D) + eps), eps = 2 sqrt(dim) E.
   * - Evaluation: a neighbour's rank flips only where two distances are within the gap: at most one
   *   query of TEST_SIZE, so Recall@K and MAP@R within 1/TEST_SIZE; NMI (k-means on the embeddings)
   *   within 0.05, a few points changing cluster. Measured: equal.
   */
  await t.test('against cpu: losses, pair counts, weights, embeddings, drift and evaluation within the bounds stated above', async (st) => {
    const E_MAX = 1e-5;
    const mg = await readCsv<MetricsRow>(join(gpu, 'metrics.csv'));
    const mc = await readCsv<MetricsRow>(join(cpu, 'metrics.csv'));
    const counts = (m: MetricsRow[]) => m.map((x) => [x.iteration, x.xbm_active, x.memory_fill, x.batch_pos_pairs, x.batch_neg_pairs, x.batch_active_pairs, x.memory_pos_pairs, x.memory_neg_pairs, x.memory_active_pairs, x.event]);
    assert.deepEqual(counts(mg), counts(mc), 'the same schedule, memory fill and pair counts');

    const wg = finalWeights(gpu);
    const wc = finalWeights(cpu);
    const weightGaps = [...wc].map(([name, w]) => [name, w.reduce((worst, x, k) => Math.max(worst, Math.abs(wg.get(name)![k] - x)), 0) / LR] as const);
    const [sg, sc] = [snapshots(gpu), snapshots(cpu)];
    assert.deepEqual([...sg.keys()], [...sc.keys()]);
    const embeddingGaps = [...sc].map(([it, s]) => [it, s.embeddings.reduce((worst, x, k) => Math.max(worst, Math.abs(sg.get(it)!.embeddings[k] - x)), 0)] as const);
    const E = Math.max(...embeddingGaps.map(([, g]) => g));
    const lossGap = (k: 'loss' | 'batch_loss' | 'memory_loss') => mg.map((x, i) => Math.abs(x[k] - mc[i][k]) / Math.max(Math.abs(mc[i][k]), Number.MIN_VALUE));
    const losses = { loss: lossGap('loss'), batch_loss: lossGap('batch_loss'), memory_loss: lossGap('memory_loss') };
    st.diagnostic(`relative loss gaps per iteration: ${losses.loss.map((v) => v.toExponential(1)).join(' ')}; worst batch ${Math.max(...losses.batch_loss).toExponential(1)}, memory ${Math.max(...losses.memory_loss).toExponential(1)}`);
    st.diagnostic(`worst weight gap ${Math.max(...weightGaps.map(([, g]) => g)).toFixed(4)} lr; embedding gaps ${embeddingGaps.map(([it, g]) => `${it}:${g.toExponential(1)}`).join(' ')}`);

    weightGaps.forEach(([name, gap]) => assert.ok(gap <= 1, `${name}: an element differs by ${gap.toFixed(3)} lr`));
    embeddingGaps.forEach(([it, gap]) => assert.ok(gap <= (it === 0 ? TOL.kernelRelative : E_MAX), `snapshot ${it}: an embedding component differs by ${gap.toExponential(2)}`));
    for (const [k, gaps] of Object.entries(losses)) gaps.forEach((g, i) => assert.ok(g <= 1e-4, `iteration ${i + 1}: ${k} differs by a relative ${g.toExponential(2)}`));

    const eps = 2 * Math.sqrt(DIM) * E;
    mg.forEach((x, i) => {
      assert.equal(Number.isNaN(x.drift_s), Number.isNaN(mc[i].drift_s), `iteration ${i + 1}: online drift measured on one backend only`);
      if (Number.isNaN(x.drift_s)) return;
      const bound = eps * (2 * Math.sqrt(Math.max(x.drift_s, mc[i].drift_s)) + eps);
      assert.ok(Math.abs(x.drift_s - mc[i].drift_s) <= bound, `iteration ${i + 1}: online drift ${x.drift_s} vs ${mc[i].drift_s}, bound ${bound.toExponential(2)}`);
    });

    const dg = (await readDriftTable(gpu))!.rows;
    const dc = (await readDriftTable(cpu))!.rows;
    assert.deepEqual(dg.map((r) => [r.iteration, r.gap, r.n]), dc.map((r) => [r.iteration, r.gap, r.n]));
    assert.ok(dg.length > 0);
    dg.forEach((row, i) => {
      const bound = driftBound(sg, sc, row.iteration, row.iteration - row.gap) + 1e-12;
      for (const k of ['mean', 'median', 'p90', 'max'] as const) {
        assert.ok(Math.abs(row[k] - dc[i][k]) <= bound, `drift D(${row.iteration}; ${row.gap}) ${k}: ${row[k]} vs ${dc[i][k]}, bound ${bound.toExponential(2)}`);
      }
    });

    const eg = json(join(gpu, 'analysis', 'eval.json'));
    const ec = json(join(cpu, 'analysis', 'eval.json'));
    for (const k of ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r'] as const) {
      assert.ok(Math.abs(eg[k] - ec[k]) <= 1 / TEST_SIZE + 1e-12, `${k}: ${eg[k]} vs ${ec[k]}`);
    }
    assert.ok(Math.abs(eg.nmi - ec.nmi) <= 0.05, `nmi: ${eg.nmi} vs ${ec.nmi}`);
  });
});

/**
 * The most that D(t; dt)'s per-sample |a - b|^2 can differ between the two runs' snapshots at t and
 * t - dt: max over samples of (|a - a'| + |b - b'|)(|a - b| + |a' - b'|).
 */
function driftBound(g: ReturnType<typeof snapshots>, c: ReturnType<typeof snapshots>, t: number, before: number): number {
  const [a, b, a2, b2] = [g.get(t)!, g.get(before)!, c.get(t)!, c.get(before)!].map((s) => s.embeddings);
  const norm = (x: Float32Array, y: Float32Array, o: number) => {
    let s = 0;
    for (let j = o; j < o + DIM; j++) s += (x[j] - y[j]) ** 2;
    return Math.sqrt(s);
  };
  let worst = 0;
  for (let o = 0; o < a.length; o += DIM) {
    worst = Math.max(worst, (norm(a, a2, o) + norm(b, b2, o)) * (norm(a, b, o) + norm(a2, b2, o)));
  }
  return worst;
}
