import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import { initBackend, type BackendInfo } from '../backend/init-backend.js';
import type { TrainConfig } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import { loadRunDataset } from './run-dataset.js';
import { selectProbe } from '../data/probe.js';
import type { Dataset } from '../data/types.js';
import { parameterCount, type Embedder } from '../model/embedder.js';
import { createModel } from './create-model.js';
import { createOptimizer } from './param-groups.js';
import { createLoss } from '../losses/create-loss.js';
import type { PairLoss } from '../losses/pair-loss.js';
import { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { createAdapter, type MemoryAdapter } from '../memory/adapt/index.js';
import { CsvAppender } from '../io/csv.js';
import { METRICS_COLUMNS, type MetricsRow } from '../io/tables.js';
import { writeProbe } from '../io/probe-file.js';
import { memoryStalenessAppender } from '../io/formats/memory-staleness.js';
import type { RunRecord } from '../io/formats/run-record.js';
import { Rng } from '../random.js';
import { learningRateAt } from './lr-schedule.js';
import { Progress } from './progress.js';
import { trainStep, trainStepAsyncReads, type StepResult } from './step.js';
import { asyncStepFor } from './device-step.js';
import { microBatchedStep } from './gradient-cache.js';
import { checkStepFits } from './step-memory.js';
import { XbmController } from './xbm-controller.js';
import { loadFloats, loadOptimizer, loadState, loadWeights, saveCheckpoint } from './checkpoint.js';
import { checkConfigAgainstDataset } from '../config/dataset-checks.js';
import { createRun, resumeRun, type OpenRun } from './run-folder.js';
import { Instruments, labelsOf } from './instruments.js';
import { RunRecorder } from './run-recorder.js';
import { KeyEncoder } from './key-encoder.js';
import { Batches } from './batches.js';
import { adapterPart, keyEncoderPart, LoopState, memoryPart, restoreParts, saveParts, type TrainingPart } from './parts.js';
import { metricsRow } from './metrics-row.js';

export { loadRunConfig } from './run-folder.js';

export interface TrainOptions {
  /** continue the run in config.out from its last checkpoint (the same as resumeTraining(config.out)) */
  resume?: boolean;
  /** replace a run already in config.out */
  overwrite?: boolean;
  quiet?: boolean;
  /** stop after the current iteration when aborted (the CLI wires Ctrl-C to it) */
  signal?: AbortSignal;
  /** called after each iteration is written (its row, and its checkpoint when one is due) */
  onIteration?: (iteration: number) => void;
  /** the most tensor bytes a step may need (default: what the backend can hold, train/step-memory.ts) */
  stepMemoryLimit?: number;
}

/** Start a new run as configured. Returns the run record also written to run.json. */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<RunRecord> {
  if (opts.resume) return resumeTraining(config.out, opts);
  return session(config, (fitted) => createRun(fitted, opts.overwrite ?? false), opts);
}

/** Continue the run in `runDir` from its last checkpoint, with the config it was started with. */
export async function resumeTraining(runDir: string, opts: Omit<TrainOptions, 'overwrite' | 'resume'> = {}): Promise<RunRecord> {
  const { config, open } = await resumeRun(runDir);
  try {
    return await session(config, () => open, opts);
  } finally {
    open.lock.release();
  }
}

/** What one session trains with, built before the run folder is touched (everything here may refuse the input). */
interface Training {
  config: TrainConfig;
  backend: BackendInfo;
  dataset: Dataset;
  model: Embedder;
  optimizer: tf.Optimizer;
  loss: PairLoss;
  step: typeof trainStep | typeof trainStepAsyncReads;
  batches: Batches;
  memory: CrossBatchMemory | null;
  adapter: MemoryAdapter | null;
  keyEncoder: KeyEncoder | null;
  xbm: XbmController;
  probe: Int32Array | null;
  /** the variables and optimizer this session made: disposed when it ends, however it ends */
  release(): void;
}

async function prepare(asked: TrainConfig, quiet: boolean | undefined): Promise<Training> {
  const backend = await initBackend({ backend: asked.backend, threads: asked.threads ?? undefined, asyncReadsOnly: true });
  const dataset = await loadRunDataset(asked);
  const config = checkConfigAgainstDataset(asked, dataset);
  const rng = new Rng(config.seed);
  const modelRng = rng.fork();
  const samplerRng = rng.fork();
  const smartRng = rng.fork();
  const probe = config.snapshots.every > 0 ? selectProbe(dataset.train, Math.min(config.snapshots.probeSize, dataset.train.size), config.seed) : null;
  // A backbone is loaded and checked here, before the folder exists (a built-in one is built on first use).
  const model = await createModel(config, dataset, modelRng, quiet ? undefined : (line) => process.stderr.write(`${line}\n`));
  // One optimizer, or one per learning-rate group (--backbone-lr-mult): param-groups.ts says why.
  const optimizer = createOptimizer(config.optimizer, model);
  const batches = new Batches(config, dataset, model.dim, samplerRng, smartRng);
  const memory = config.xbm.size > 0 ? new CrossBatchMemory(config.xbm.size, config.model.dim) : null;
  // Memory compensation (--xbm-adapt): memory/adapt; the momentum strategy's key encoder is train/key-encoder.ts.
  const trainClasses = new Set(dataset.train.labels).size;
  const adapter = memory ? createAdapter(config.xbm.adapt, { dim: config.model.dim, trainClasses, classesPerBatch: config.sampler.kind === 'pk' ? config.sampler.classesPerBatch : Math.min(config.batchSize, trainClasses) }) : null;
  const keyEncoder = adapter?.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const release = () => {
    tf.disposeVariables();
    optimizer.dispose();
    model.dispose?.();
  };
  // A backend that reads only asynchronously trains with the device step where it can; run.json's backend notes say which step and why.
  // --micro-batch: the chunked step (gradient-cache.ts) on every backend.
  const stepChoice = config.microBatch !== undefined ? microBatchedStep(config.microBatch, backend.syncReads, createLoss(config.loss))
    : backend.syncReads ? { loss: createLoss(config.loss), step: trainStep } : asyncStepFor(config, adapter, () => createLoss(config.loss));
  if ('note' in stepChoice) backend.notes.push(stepChoice.note);
  return {
    config, backend, dataset, model, optimizer, loss: stepChoice.loss, step: stepChoice.step,
    batches, memory, adapter, keyEncoder, xbm: new XbmController(config), probe, release,
  };
}

/** The stateful parts a checkpoint holds, listed once: saved and restored alike (parts.ts). */
function trainingParts(run: Training, loop: LoopState, instruments: Instruments): TrainingPart[] {
  return [
    loop,
    run.batches,
    ...(run.memory ? [memoryPart(run.memory)] : []),
    ...(run.adapter ? [adapterPart(run.adapter)] : []),
    ...(run.keyEncoder ? [keyEncoderPart(run.keyEncoder)] : []),
    instruments,
  ];
}

/**
 * One training session: trains an embedder and instruments every iteration into the run folder
 * (docs/run-folder.md). The algorithm is the loop below; the folder's lifecycle, the parts a
 * checkpoint holds, the instruments and the record live in run-folder.ts, parts.ts, batches.ts,
 * instruments.ts and run-recorder.ts.
 */
async function session(config: TrainConfig, openFolder: (fitted: TrainConfig) => OpenRun, opts: TrainOptions): Promise<RunRecord> {
  const run = await prepare(config, opts.quiet);
  let folder: OpenRun;
  try {
    // Stopped before the run exists (Ctrl-C while loading): create nothing, reject as fetch does.
    if (opts.signal?.aborted) throw opts.signal.reason;
    // Before the folder: a step too large refuses in one line; one near the limit is said and recorded (run.json's backend notes).
    const tight = await checkStepFits(run.model, run.config, run.backend, run.keyEncoder !== null, opts.stepMemoryLimit);
    if (tight) {
      run.backend.notes.push(tight);
      if (!opts.quiet) process.stderr.write(`${tight}\n`);
    }
    folder = openFolder(run.config); // the config fitted to the dataset is what config.json records
  } catch (e) {
    run.release(); // refused or stopped: nothing of this session may linger
    throw e;
  }
  try {
    return await trainIn(run, folder, opts);
  } finally {
    folder.lock.release();
    run.release();
  }
}

/** The run in its open folder: restore or start the record, then the loop, checkpoints and the closing record. */
async function trainIn(run: Training, folder: OpenRun, opts: TrainOptions): Promise<RunRecord> {
  const { config } = run;
  const { paths, checkpoint: cp } = folder;
  const progress = new Progress(config.name, config.iterations, { quiet: opts.quiet, startAt: cp?.iteration ?? 0 });
  const loop = new LoopState(cp?.iteration ?? 0);
  let finish: ((status: RunRecord['status'], message?: string) => void) | null = null; // once run.json says "running"
  let record: RunRecorder | null = null;
  try {
    record = cp ? RunRecorder.reopen(paths, run.backend, loop.iteration) : RunRecorder.create(paths, config, run.dataset, run.backend, parameterCount(run.model), run.probe?.length ?? 0);
    const instruments = new Instruments({ config, paths, runId: record.runId, dataset: run.dataset, model: run.model, memory: run.memory, xbm: run.xbm, probe: run.probe, progress });
    const parts = trainingParts(run, loop, instruments);
    if (cp) await resume(run, parts, folder);
    else if (run.probe) writeProbe(paths.probe, { runId: record.runId, sampleIds: run.probe, labels: labelsOf(run.dataset, run.probe) });
    record.write();
    const recorder = record;
    const close = (finish = (status: RunRecord['status'], message?: string) => {
      recorder.record.smartMining = run.batches.summary();
      recorder.finish(status, { iteration: loop.iteration, memoryBytes: run.memory?.bytes ?? 0, xbm: run.xbm, instruments, message });
    });
    const checkpoint = async () => {
      const { state, floats } = await saveParts(parts);
      await saveCheckpoint(paths.checkpoints, loop.iteration, run.model, run.optimizer, state, floats);
    };
    if (cp) progress.log(loop.iteration >= config.iterations ? M.finishedRecord(paths.root) : M.resuming(paths.root, loop.iteration, config.iterations));
    progress.log(M.starting(config.name, run.dataset.description, run.backend, config.batchSize, config.iterations));
    if (loop.iteration >= config.iterations && instruments.lastEval?.iteration !== loop.iteration) await instruments.evaluate(loop.iteration);
    const metrics = new CsvAppender(paths.metrics, METRICS_COLUMNS);
    const memoryStaleness = run.memory ? memoryStalenessAppender(paths.root) : null;
    if (loop.iteration === 0) await instruments.atBoundary(0);
    while (loop.iteration < config.iterations) {
      const t = loop.iteration + 1;
      const { row, r } = await iterate(run, loop, t, record, instruments, memoryStaleness, progress);
      if (!Number.isFinite(r.loss)) {
        row.event = 'diverged';
        await metrics.append([row]);
        close('diverged', M.diverged(t, r.loss));
        throw new UserError(M.diverged(t, r.loss));
      }
      const events = run.xbm.events.length;
      row.drift_s = await instruments.atBoundary(t);
      row.event = [...run.xbm.events.slice(events).map((e) => e.kind), ...(await run.batches.afterStep(t, r.batchStats, run.model, paths.root, (l) => progress.log(l)))].join(';');
      await metrics.append([row]);
      instruments.observeStep(row);
      if (config.checkpointEvery > 0 && t % config.checkpointEvery === 0 && t < config.iterations) await checkpoint();
      progress.update(t, `loss ${r.loss.toFixed(4)}${row.xbm_active ? ` mem ${r.memoryLoss.toFixed(4)}` : ''}${instruments.lastEval ? ` R@1 ${instruments.lastEval.recall_at_1.toFixed(3)}` : ''}`);
      // The synchronous step never yields: without a turn of the event loop a Ctrl-C would only be seen after the last iteration.
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.onIteration?.(t);
      if (opts.signal?.aborted && t < config.iterations) {
        progress.done();
        await checkpoint();
        close('interrupted', M.interrupted(paths.root, t));
        progress.log(M.interrupted(paths.root, t));
        return record.record;
      }
    }
    progress.done();
    await checkpoint();
    close('completed');
    if (record.record.collapse?.collapsed) progress.log(M.collapsed(record.record.collapse.signals.map((s) => (s as { message: string }).message).join(' ')));
    if (run.xbm.enabled && config.xbm.start.kind === 'auto' && run.xbm.startIteration === null) progress.log(M.autoNotReached(run.xbm.threshold));
    return record.record;
  } catch (e) {
    progress.done();
    if (finish && record?.record.status === 'running') {
      try {
        finish('failed', e instanceof Error ? e.message : String(e));
      } catch {
        // The record cannot be written either (a full disk): the original error says why.
      }
    }
    throw e;
  }
}

/** Back to the checkpoint: the weights, the optimizer's slots, then every part (parts.ts). */
async function resume(run: Training, parts: readonly TrainingPart[], folder: OpenRun): Promise<void> {
  const cp = folder.checkpoint!;
  loadWeights(cp.path, run.model);
  await loadOptimizer(cp.path, run.optimizer);
  const state = loadState<Record<string, unknown>>(cp.path);
  restoreParts(parts, { iteration: cp.iteration, state, floats: loadFloats(cp.path), floatsFile: join(cp.path, 'floats.bin'), metrics: folder.metrics, evals: folder.evals });
}

/** Step t: its batch, one update, what the step measured into the memory's staleness table; its metrics row. */
async function iterate(run: Training, loop: LoopState, t: number, recorder: RunRecorder, instruments: Instruments, memoryStaleness: CsvAppender | null, progress: Progress): Promise<{ row: MetricsRow; r: StepResult }> {
  const { config, memory } = run;
  const t0 = performance.now();
  // Image datasets augment the training view (seeded by run, iteration and sample) and decode the next batch during this step.
  const batch = await run.batches.next(t);
  const labels = labelsOf(run.dataset, batch.ids);
  const t1 = performance.now();
  const lr = learningRateAt(config, loop.iteration);
  setLearningRate(run.optimizer, lr);
  const flags = run.xbm.flags();
  const r = await run.step(run.model, run.loss, run.optimizer, memory, { pixels: batch.pixels, labels, sampleIds: batch.ids, iteration: t },
    { ...flags, weight: config.xbm.weight, combine: config.xbm.combine, keepEmbeddings: config.snapshots.logBatches, adapter: run.adapter, keyEncoder: run.keyEncoder, inLossStaleness: memory !== null });
  const t2 = performance.now();
  recorder.stepTook(t2 - t0);
  loop.iteration = t;
  if (r.embeddings) instruments.writeBatch(t, batch.ids, r.embeddings);
  if (r.memoryAges) await memoryStaleness!.append(r.memoryAges.map((b) => ({ iteration: t, ...b })));
  if (flags.memoryLoss && loop.firstMemoryLoss === null) loop.firstMemoryLoss = r.memoryLoss;
  if (loop.warnExplosion(r.memoryLoss)) progress.log(M.lossExploded(t, r.memoryLoss, loop.firstMemoryLoss!));
  return { row: metricsRow(t, batch.epoch, lr, flags.memoryLoss, r, memory, { data: t1 - t0, step: t2 - t1 }), r };
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs reads the protected learningRate field at every update; there is no public setter on Adam.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
