import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { tf } from '../backend/tf.js';
import { initBackend } from '../backend/init-backend.js';
import type { TrainConfig } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import { loadDataset } from '../data/registry.js';
import type { Dataset } from '../data/types.js';
import { createSampler, restoreSampler, type Sampler } from '../data/samplers.js';
import { selectProbe } from '../data/probe.js';
import { createEmbedder, parameterCount, type Embedder } from '../model/embedder.js';
import { embedSamples } from '../model/embed.js';
import { evaluateModel } from './evaluate.js';
import { createLoss } from '../losses/index.js';
import { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { runPaths, type RunPaths } from '../io/run-paths.js';
import { CsvAppender, readCsv, writeCsv } from '../io/csv.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { EVAL_COLUMNS, METRICS_COLUMNS, STALENESS_COLUMNS, type DriftRow, type EvalRow, type MetricsRow } from '../io/tables.js';
import { writeSnapshot, readSnapshot } from '../io/snapshot-file.js';
import { writeProbe } from '../io/probe-file.js';
import { pairDrift } from '../analysis/drift.js';
import { detectCollapse } from '../analysis/collapse.js';
import { Rng } from '../random.js';
import { learningRateAt } from './lr-schedule.js';
import { scheduledGap, snapshotIterations } from './snapshot-schedule.js';
import { Progress } from './progress.js';
import { trainStep } from './step.js';
import { XbmController } from './xbm-controller.js';
import { latestCheckpoint, loadFloats, loadOptimizer, loadState, loadWeights, saveCheckpoint } from './checkpoint.js';
import type { CrossBatchMemoryState } from '../memory/cross-batch-memory.js';
import type { RunRecord } from './run-record.js';

const MEMORY_EMBEDDINGS = 'memory/embeddings';

export interface TrainOptions {
  /** continue the run in config.out from its last checkpoint */
  resume?: boolean;
  /** replace a run already in config.out */
  overwrite?: boolean;
  quiet?: boolean;
  /** stop after the current iteration when aborted (the CLI wires Ctrl-C to it) */
  signal?: AbortSignal;
}

interface TrainerState {
  iteration: number;
  sampler: unknown;
  /** the memory without its embeddings, which are saved as floats ('memory/embeddings') */
  memory: CrossBatchMemoryState | null;
  firstMemoryLoss: number | null;
}

/**
 * Trains an embedder as configured and instruments every iteration into the run folder
 * (README "Run folder"). Returns the run record also written to run.json.
 */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<RunRecord> {
  const paths = runPaths(config.out);
  checkFolder(paths, opts);
  const backend = await initBackend({ backend: config.backend, threads: config.threads ?? undefined });
  const dataset = await loadDataset(config.dataset.spec, { dataSeed: config.dataset.dataSeed, perClass: config.dataset.imagesPerClass });
  const rng = new Rng(config.seed);
  const modelRng = rng.fork();
  let sampler: Sampler = createSampler(config.sampler, dataset.train.labels, rng.fork());
  const probe = config.snapshots.every > 0 ? selectProbe(dataset.train, Math.min(config.snapshots.probeSize, dataset.train.size), config.seed) : null;

  // Everything validated: only now is the folder touched.
  if (!opts.resume) {
    if (opts.overwrite) rmSync(config.out, { recursive: true, force: true });
    mkdirSync(paths.snapshots, { recursive: true });
    writeJsonAtomic(paths.config, config);
  }
  const model = createEmbedder(config.model, dataset.imageShape, modelRng);
  const optimizer = config.optimizer.kind === 'adam' ? tf.train.adam(config.optimizer.lr) : tf.train.momentum(config.optimizer.lr, config.optimizer.momentum);
  const loss = createLoss(config.loss);
  let memory = config.xbm.size > 0 ? new CrossBatchMemory(config.xbm.size, config.model.dim) : null;
  const xbm = new XbmController(config);
  const driftGap = scheduledGap(xbm.driftGap(), config.snapshots.every);
  const schedule = new Set(snapshotIterations(config.snapshots.every, withGap(config.snapshots.offsets, driftGap, config.snapshots.every), config.iterations));

  let record: RunRecord;
  let iteration = 0;
  let firstMemoryLoss: number | null = null;
  if (opts.resume) {
    const cp = latestCheckpoint(paths.checkpoints)!;
    loadWeights(cp.path, model);
    await loadOptimizer(cp.path, optimizer);
    const st = loadState<TrainerState>(cp.path);
    iteration = st.iteration;
    sampler = restoreSampler(st.sampler as never, dataset.train.labels);
    if (memory && st.memory) {
      const embeddings = loadFloats(cp.path).get(MEMORY_EMBEDDINGS)!.values;
      memory = CrossBatchMemory.restore({ ...st.memory, embeddings: Array.from(embeddings) });
    }
    firstMemoryLoss = st.firstMemoryLoss;
    replayXbm(xbm, paths, schedule, driftGap, iteration);
    record = JSON.parse(readFileSync(paths.run, 'utf8')) as RunRecord;
    record.resumes.push({ at: new Date().toISOString(), iteration });
    record.status = 'running';
    // Rows written after the checkpoint are written again: drop them so no row is duplicated.
    await truncateAfter(paths.metrics, METRICS_COLUMNS, iteration);
    await truncateAfter(paths.eval, EVAL_COLUMNS, iteration);
    await truncateAfter(paths.staleness, STALENESS_COLUMNS, iteration);
  } else {
    record = newRecord(config, dataset, backend, parameterCount(model), probe?.length ?? 0);
    if (probe) writeProbe(paths.probe, { runId: record.runId, sampleIds: probe, labels: labelsOf(dataset, probe) });
  }
  record.backend = backend;
  writeJsonAtomic(paths.run, record);
  // The ETA counts only this session's iterations: a resumed run's earlier ones took no time here.
  const progress = new Progress(config.name, config.iterations, { quiet: opts.quiet, startAt: iteration });
  if (opts.resume) progress.log(`Resuming ${config.out} at iteration ${iteration} of ${config.iterations}.`);
  progress.log(`${config.name}: ${dataset.description}; backend ${backend.name}${backend.threads ? ` (${backend.threads} thread${backend.threads > 1 ? 's' : ''})` : ''}; batch ${config.batchSize}; ${config.iterations} iterations.`);

  const metrics = new CsvAppender(paths.metrics, METRICS_COLUMNS);
  const evals = new CsvAppender(paths.eval, EVAL_COLUMNS);
  const staleness = new CsvAppender(paths.staleness, STALENESS_COLUMNS);
  const stepTimes: number[] = [];
  let snapshotMs = 0;
  let evalMs = 0;
  const wallStart = Date.now();
  const lastEval: { row: EvalRow | null } = { row: null };
  let warnedExplosion = false;

  const runEval = async (t: number) => {
    const row = await evaluateModel(model, dataset.test, t, { ks: config.eval.ks, nmi: config.eval.nmi, seed: config.seed });
    evalMs += row.ms_eval;
    await evals.append([row]);
    lastEval.row = row;
    progress.log(`  eval @${t}: R@1 ${row.recall_at_1.toFixed(4)}  MAP@R ${row.map_at_r.toFixed(4)}  NMI ${Number.isNaN(row.nmi) ? '-' : row.nmi.toFixed(4)}`);
  };

  /** Work at the boundary "after t steps": snapshot, online drift, XBM start, eval. Returns D(t; gap) if measured. */
  const atBoundary = async (t: number): Promise<number> => {
    let driftS = NaN;
    if (probe && schedule.has(t)) {
      const t0 = Date.now();
      const emb = await embedSamples(model, dataset.train, probe);
      writeSnapshot(paths.snapshot(t), { runId: record.runId, iteration: t, sampleIds: probe, labels: labelsOf(dataset, probe), embeddings: emb, dim: model.dim, normalized: true });
      const gap = driftGap;
      if (gap !== null && schedule.has(t - gap) && t - gap >= 0) {
        const prev = readSnapshot(paths.snapshot(t - gap));
        const d = pairDrift(prev.embeddings, emb, model.dim);
        driftS = d.mean;
        if (xbm.observeDrift({ iteration: t, gap, ...d }) && memory) await initialiseMemory(t);
        for (const e of xbm.events.filter((e) => e.iteration === t && e.kind !== 'xbm-start')) progress.log(`  ${e.message}`);
      }
      snapshotMs += Date.now() - t0;
    }
    if (xbm.startsAt(t) && memory) await initialiseMemory(t);
    if (config.snapshots.stalenessEvery > 0 && memory && memory.size > 0 && t % config.snapshots.stalenessEvery === 0) {
      await staleness.append([await measureStaleness(t)]);
    }
    if ((config.eval.every > 0 && t % config.eval.every === 0 && t > 0) || t === config.iterations) await runEval(t);
    return driftS;
  };

  const initialiseMemory = async (t: number) => {
    const start = xbm.events.find((e) => e.kind === 'xbm-start');
    if (start) progress.log(`  ${start.message}`);
    if (config.xbm.init !== 'random' || !memory) return;
    // The paper's recipe: fill the memory with features of random training images from the current model.
    const fillRng = new Rng(config.seed + t);
    const ids = Int32Array.from({ length: memory.capacity }, () => fillRng.int(dataset.train.size));
    const emb = await embedSamples(model, dataset.train, ids);
    memory.enqueue(emb, labelsOf(dataset, ids), ids, t);
  };

  const measureStaleness = async (t: number) => {
    const entries = memory!.entries();
    const stored = new Float32Array(entries.length * model.dim);
    entries.forEach((e, i) => stored.set(e.embedding, i * model.dim));
    const fresh = await embedSamples(model, dataset.train, Int32Array.from(entries, (e) => e.sampleId));
    const d = pairDrift(stored, fresh, model.dim);
    const ages = memory!.ages(t);
    return { iteration: t, entries: entries.length, age_mean: ages.mean, age_max: ages.max, drift_mean: d.mean, drift_median: d.median, drift_p90: d.p90, drift_max: d.max };
  };

  const checkpoint = async (t: number) => {
    const m = memory?.state() ?? null;
    const state: TrainerState = { iteration: t, sampler: sampler.state(), memory: m && { ...m, embeddings: [] }, firstMemoryLoss };
    const floats = m ? [{ name: MEMORY_EMBEDDINGS, shape: [m.size, m.dim], values: Float32Array.from(m.embeddings) }] : [];
    await saveCheckpoint(paths.checkpoints, t, model, optimizer, state, floats);
  };

  const finish = async (status: RunRecord['status'], message?: string) => {
    record.status = status;
    if (message) record.message = message;
    record.endedAt = new Date().toISOString();
    record.iterationsDone = iteration;
    record.xbm = { ...record.xbm, bytes: memory?.bytes ?? 0, ...xbm.state() };
    const sorted = [...stepTimes].sort((a, b) => a - b);
    record.timings = {
      msPerIteration: sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN,
      msPerIterationP90: sorted.length ? sorted[Math.floor(sorted.length * 0.9)] : NaN,
      wallSeconds: (Date.now() - wallStart) / 1000 + (opts.resume ? record.timings.wallSeconds : 0),
      snapshotSeconds: snapshotMs / 1000,
      evalSeconds: evalMs / 1000,
      trainSeconds: stepTimes.reduce((a, b) => a + b, 0) / 1000,
    };
    record.final = lastEval.row;
    if (existsSync(paths.metrics)) {
      const c = detectCollapse({
        metrics: await readCsv<MetricsRow>(paths.metrics),
        eval: existsSync(paths.eval) ? await readCsv<EvalRow>(paths.eval) : [],
        xbmStart: xbm.startIteration,
      });
      record.collapse = c;
      if (c.collapsed) progress.log(M.collapsed(c.signals.map((s) => s.message).join(' ')));
    }
    if (xbm.enabled && config.xbm.start.kind === 'auto' && xbm.startIteration === null) progress.log(M.autoNotReached(xbm.threshold));
    writeJsonAtomic(paths.run, record);
  };

  try {
    if (iteration === 0) await atBoundary(0);
    while (iteration < config.iterations) {
      const t = iteration + 1;
      const t0 = performance.now();
      const ids = sampler.next();
      const labels = labelsOf(dataset, ids);
      const pixels = await dataset.train.loadImages(ids);
      const t1 = performance.now();
      setLearningRate(optimizer, learningRateAt(config, iteration));
      const flags = xbm.flags();
      const r = trainStep(model, loss, optimizer, memory, { pixels, labels, sampleIds: ids, iteration: t }, {
        ...flags, weight: config.xbm.weight, keepEmbeddings: config.snapshots.logBatches,
      });
      const t2 = performance.now();
      stepTimes.push(t2 - t0);
      iteration = t;
      if (r.embeddings) {
        writeSnapshot(paths.batch(t), { runId: record.runId, iteration: t, sampleIds: ids, labels, embeddings: r.embeddings, dim: model.dim, normalized: true, kind: 'batch' });
      }
      if (flags.memoryLoss && firstMemoryLoss === null) firstMemoryLoss = r.memoryLoss;
      const ages = memory ? memory.ages(t) : { min: NaN, mean: NaN, max: NaN };
      const row: MetricsRow = {
        iteration: t, epoch: sampler.epoch, loss: r.loss, batch_loss: r.batchLoss, memory_loss: r.memoryLoss,
        lr: learningRateAt(config, iteration - 1), xbm_active: flags.memoryLoss ? 1 : 0,
        memory_fill: memory?.size ?? 0, memory_bytes: memory?.bytes ?? 0,
        memory_age_min: ages.min, memory_age_mean: ages.mean, memory_age_max: ages.max,
        batch_pos_pairs: r.batchStats.positive, batch_neg_pairs: r.batchStats.negative, batch_active_pairs: r.batchStats.active,
        memory_pos_pairs: r.memoryStats.positive, memory_neg_pairs: r.memoryStats.negative, memory_active_pairs: r.memoryStats.active,
        ms_per_iteration: t2 - t0, ms_data: t1 - t0, ms_step: t2 - t1, drift_s: NaN, event: '',
      };
      if (!Number.isFinite(r.loss)) {
        row.event = 'diverged';
        await metrics.append([row]);
        const message = M.diverged(t, r.loss);
        await finish('diverged', message);
        throw new UserError(message);
      }
      if (!warnedExplosion && firstMemoryLoss !== null && firstMemoryLoss > 0 && r.memoryLoss > 10 * firstMemoryLoss) {
        warnedExplosion = true;
        progress.log(M.lossExploded(t, r.memoryLoss, firstMemoryLoss));
      }
      const eventsBefore = xbm.events.length;
      row.drift_s = await atBoundary(t);
      row.event = xbm.events.slice(eventsBefore).map((e) => e.kind).join(';');
      await metrics.append([row]);
      if (config.checkpointEvery > 0 && t % config.checkpointEvery === 0 && t < config.iterations) await checkpoint(t);
      progress.update(t, `loss ${r.loss.toFixed(4)}${flags.memoryLoss ? ` mem ${r.memoryLoss.toFixed(4)}` : ''}${lastEval.row ? ` R@1 ${lastEval.row.recall_at_1.toFixed(3)}` : ''}`);
      if (opts.signal?.aborted) {
        progress.done();
        await checkpoint(t);
        const message = M.interrupted(config.out, t);
        await finish('interrupted', message);
        progress.log(message);
        return record;
      }
    }
    progress.done();
    await checkpoint(iteration);
    await finish('completed');
    return record;
  } catch (e) {
    progress.done();
    if (record.status === 'running') await finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    tf.disposeVariables();
    optimizer.dispose();
  }
}

function checkFolder(paths: RunPaths, opts: TrainOptions): void {
  const hasRun = existsSync(paths.config) || existsSync(paths.run);
  if (opts.resume) {
    if (!existsSync(paths.config)) throw new UserError(M.notARun(paths.root));
    if (!latestCheckpoint(paths.checkpoints)) throw new UserError(M.noCheckpoint(paths.root));
    const cp = latestCheckpoint(paths.checkpoints)!;
    const config = JSON.parse(readFileSync(paths.config, 'utf8')) as TrainConfig;
    if (cp.iteration >= config.iterations) throw new UserError(M.alreadyComplete(paths.root, config.iterations));
  } else if (hasRun && !opts.overwrite) {
    throw new UserError(M.runExists(paths.root));
  }
}

/** Load the config a run was started with (for --resume and eval). */
export function loadRunConfig(runDir: string): TrainConfig {
  const paths = runPaths(runDir);
  if (!existsSync(paths.config)) throw new UserError(M.notARun(runDir));
  return JSON.parse(readFileSync(paths.config, 'utf8')) as TrainConfig;
}

/** Online drift needs snapshots `gap` apart: a gap below the schedule's spacing becomes an offset. */
function withGap(offsets: readonly number[], gap: number | null, every: number): number[] {
  return gap !== null && gap > 0 && gap < every && !offsets.includes(gap) ? [...offsets, gap] : [...offsets];
}

/** Rebuild the XBM controller's state after a resume by replaying the drift the run measured. */
function replayXbm(xbm: XbmController, paths: RunPaths, schedule: Set<number>, gap: number | null, upTo: number): void {
  for (let t = 0; t <= upTo; t++) {
    if (gap !== null && schedule.has(t) && schedule.has(t - gap) && existsSync(paths.snapshot(t)) && existsSync(paths.snapshot(t - gap))) {
      const a = readSnapshot(paths.snapshot(t - gap));
      const b = readSnapshot(paths.snapshot(t));
      xbm.observeDrift({ iteration: t, gap, ...pairDrift(a.embeddings, b.embeddings, a.dim) } as DriftRow);
    }
    xbm.startsAt(t);
  }
}

async function truncateAfter(path: string, columns: readonly string[], iteration: number): Promise<void> {
  if (!existsSync(path)) return;
  const rows = await readCsv<{ iteration: number }>(path);
  const keep = rows.filter((r) => r.iteration <= iteration);
  if (keep.length !== rows.length) await writeCsv(path, columns, keep);
}

function labelsOf(dataset: Dataset, ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = dataset.train.labels[ids[i]];
  return out;
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs reads the protected learningRate field at every update; there is no public setter on Adam.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function newRecord(config: TrainConfig, dataset: Dataset, backend: RunRecord['backend'], parameters: number, probeSize: number): RunRecord {
  return {
    schemaVersion: 1,
    runId: randomUUID(),
    name: config.name,
    status: 'running',
    dataset: {
      spec: dataset.spec, description: dataset.description, imageShape: dataset.imageShape,
      trainSize: dataset.train.size, testSize: dataset.test.size, trainClasses: dataset.train.classes.length, testClasses: dataset.test.classes.length,
    },
    versions: { xbmDrift: VERSION, node: process.version, tfjs: tf.version_core },
    backend,
    seed: config.seed,
    startedAt: new Date().toISOString(),
    endedAt: null,
    resumes: [],
    iterationsDone: 0,
    iterations: config.iterations,
    batchSize: config.batchSize,
    parameters,
    xbm: { size: config.xbm.size, weight: config.xbm.weight, bytes: 0, requested: config.xbm.start, start: null, paused: false, threshold: NaN, span: 0, decision: null, events: [] },
    timings: { msPerIteration: NaN, msPerIterationP90: NaN, wallSeconds: 0, snapshotSeconds: 0, evalSeconds: 0, trainSeconds: 0 },
    final: null,
    collapse: null,
    probe: probeSize ? { size: probeSize } : null,
  };
}
