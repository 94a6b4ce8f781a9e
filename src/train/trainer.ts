import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import { initBackend } from '../backend/init-backend.js';
import type { TrainConfig } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import { loadRunDataset } from './run-dataset.js';
import { createSampler, restoreSampler } from '../data/samplers.js';
import { selectProbe } from '../data/probe.js';
import { parameterCount } from '../model/embedder.js';
import { createModel } from './create-model.js';
import { createOptimizer } from './param-groups.js';
import { createLoss } from '../losses/create-loss.js';
import { CrossBatchMemory, type CrossBatchMemoryState } from '../memory/cross-batch-memory.js';
import { CsvAppender } from '../io/csv.js';
import { METRICS_COLUMNS, type MetricsRow } from '../io/tables.js';
import { writeProbe } from '../io/probe-file.js';
import { Rng } from '../random.js';
import { learningRateAt } from './lr-schedule.js';
import { Progress } from './progress.js';
import { trainStep, trainStepAsyncReads } from './step.js';
import { XbmController } from './xbm-controller.js';
import { loadFloats, loadOptimizer, loadState, loadWeights, saveCheckpoint } from './checkpoint.js';
import { createRun, resumeRun, type OpenRun } from './run-folder.js';
import { Instruments, labelsOf } from './instruments.js';
import { RunRecorder } from './run-recorder.js';
import type { RunRecord } from '../io/formats/run-record.js';
import { indexTableAppender } from '../io/formats/index-table.js';
import { refreshDue, SmartMining } from '../mining/smart-mining.js';
import type { SmartSamplerState } from '../mining/smart-sampler.js';
import { miningMessages } from '../messages/mining.js';
import { createAdapter } from '../memory/adapt/index.js';
import { memoryStalenessAppender } from '../io/formats/memory-staleness.js';
import { KeyEncoder } from './key-encoder.js';

export { loadRunConfig } from './run-folder.js';

const MEMORY_EMBEDDINGS = 'memory/embeddings';
const INDEX_EMBEDDINGS = 'smart/index-embeddings';
const ADAPT_STATE = 'adapt/state';

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
}

interface TrainerState {
  iteration: number;
  sampler: unknown;
  /** the memory without its embeddings, which are saved as floats ('memory/embeddings') */
  memory: CrossBatchMemoryState | null;
  firstMemoryLoss: number | null;
  /** the next batch, already drawn so it could be decoded during the last step (image datasets) */
  pending?: Batch | null;
  /** smart mining: the iteration the index was built at (its embeddings are saved as floats, 'smart/index-embeddings') */
  smartIndexBuiltAt?: number | null;
}

/** A batch's sample ids and the sampler's epoch once they were drawn. */
interface Batch { ids: number[]; epoch: number }

/** Start a new run as configured. Returns the run record also written to run.json. */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<RunRecord> {
  if (opts.resume) return resumeTraining(config.out, opts);
  return session(config, () => createRun(config, opts.overwrite ?? false), opts);
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

/**
 * One training session: trains an embedder and instruments every iteration into the run folder
 * (README "Run folder"). The algorithm is the loop below; the folder's lifecycle, the instruments
 * and the record live in run-folder.ts, instruments.ts and run-recorder.ts.
 */
async function session(config: TrainConfig, openFolder: () => OpenRun, opts: TrainOptions): Promise<RunRecord> {
  // Everything that can refuse the input comes before the folder is touched.
  const backend = await initBackend({ backend: config.backend, threads: config.threads ?? undefined, asyncReadsOnly: true });
  const step = backend.syncReads ? trainStep : trainStepAsyncReads;
  const dataset = await loadRunDataset(config);
  const rng = new Rng(config.seed);
  const modelRng = rng.fork();
  let sampler = createSampler(config.sampler, dataset.train.labels, rng.fork());
  const smartRng = rng.fork();
  const probe = config.snapshots.every > 0 ? selectProbe(dataset.train, Math.min(config.snapshots.probeSize, dataset.train.size), config.seed) : null;
  // A backbone is loaded and checked here, before the folder exists (a built-in one is built on first use).
  const model = await createModel(config, dataset, modelRng, opts.quiet ? undefined : (line) => process.stderr.write(`${line}\n`));
  // One optimizer, or one per learning-rate group (--backbone-lr-mult): param-groups.ts says why.
  const optimizer = createOptimizer(config.optimizer, model);
  const loss = createLoss(config.loss);
  // Smart mining's sampler wraps the ordinary one (which serves the batches until the first index).
  let smart = config.smartMining ? new SmartMining(config.smartMining, dataset.train, model.dim, config.seed, sampler, { rng: smartRng }) : null;
  if (smart) sampler = smart.sampler;
  let memory = config.xbm.size > 0 ? new CrossBatchMemory(config.xbm.size, config.model.dim) : null;
  // Memory compensation (--xbm-adapt): memory/adapt; the momentum strategy's key encoder is train/key-encoder.ts.
  const trainClasses = new Set(dataset.train.labels).size;
  const adapter = memory ? createAdapter(config.xbm.adapt, { dim: config.model.dim, trainClasses, classesPerBatch: config.sampler.kind === 'pk' ? config.sampler.classesPerBatch : Math.min(config.batchSize, trainClasses) }) : null;
  const keyEncoder = adapter?.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const xbm = new XbmController(config);
  const release = () => {
    tf.disposeVariables();
    optimizer.dispose();
    model.dispose?.();
  };
  let folder: OpenRun;
  try {
    // Stopped before the run exists (Ctrl-C while loading): create nothing, reject as fetch does.
    opts.signal?.throwIfAborted();
    folder = openFolder();
  } catch (e) {
    release(); // refused or stopped: nothing of this session may linger
    throw e;
  }
  const { paths, checkpoint: cp } = folder;
  const progress = new Progress(config.name, config.iterations, { quiet: opts.quiet, startAt: cp?.iteration ?? 0 });
  let iteration = cp?.iteration ?? 0;
  let firstMemoryLoss: number | null = null;
  let pending: Batch | null = null;
  const draw = (): Batch => ({ ids: Array.from(sampler.next()), epoch: sampler.epoch });
  let recorder: RunRecorder | null = null;
  let instruments: Instruments | null = null;

  const finish = (status: RunRecord['status'], message?: string) => {
    if (smart) recorder!.record.smartMining = smart.summary();
    recorder!.finish(status, { iteration, memoryBytes: memory?.bytes ?? 0, xbm, instruments: instruments!, message });
  };
  const checkpoint = async (t: number) => {
    const m = memory?.state() ?? null;
    const index = smart?.indexState() ?? null;
    const state: TrainerState = { iteration: t, sampler: sampler.state(), memory: m && { ...m, embeddings: [] }, firstMemoryLoss, pending, ...(smart ? { smartIndexBuiltAt: index?.builtAt ?? null } : {}) };
    const adaptState = adapter?.state?.() ?? null;
    const floats = [
      ...(m ? [{ name: MEMORY_EMBEDDINGS, shape: [m.size, m.dim], values: Float32Array.from(m.embeddings) }] : []),
      ...(adaptState ? [{ name: ADAPT_STATE, shape: [adaptState.length], values: adaptState }] : []),
      ...(keyEncoder ? await keyEncoder.state() : []),
      ...(index ? [{ name: INDEX_EMBEDDINGS, shape: [index.embeddings.length / model.dim, model.dim], values: index.embeddings }] : []),
    ];
    await saveCheckpoint(paths.checkpoints, t, model, optimizer, state, floats);
  };

  try {
    if (cp) {
      loadWeights(cp.path, model);
      await loadOptimizer(cp.path, optimizer);
      const st = loadState<TrainerState>(cp.path);
      if (smart) {
        // The index is rebuilt from the embeddings it held at the checkpoint: the same graph, so the same batches.
        const s = st.sampler as SmartSamplerState;
        smart = new SmartMining(config.smartMining!, dataset.train, model.dim, config.seed, restoreSampler(s?.base, dataset.train.labels), { state: s });
        const saved = loadFloats(cp.path).get(INDEX_EMBEDDINGS);
        if (saved && typeof st.smartIndexBuiltAt === 'number') smart.restoreIndex(Float32Array.from(saved.values), st.smartIndexBuiltAt);
        sampler = smart.sampler;
      } else {
        sampler = restoreSampler(st.sampler as never, dataset.train.labels);
      }
      pending = st.pending ?? null;
      if (memory && st.memory) memory = CrossBatchMemory.restore({ ...st.memory, embeddings: Array.from(loadFloats(cp.path).get(MEMORY_EMBEDDINGS)!.values) });
      if (adapter || keyEncoder) {
        const floats = loadFloats(cp.path);
        const saved = floats.get(ADAPT_STATE);
        if (saved) adapter?.restore?.(saved.values);
        keyEncoder?.restore(floats, join(cp.path, 'floats.bin'));
      }
      firstMemoryLoss = st.firstMemoryLoss;
      recorder = RunRecorder.reopen(paths, backend, iteration);
    } else {
      recorder = RunRecorder.create(paths, config, dataset, backend, parameterCount(model), probe?.length ?? 0);
      if (probe) writeProbe(paths.probe, { runId: recorder.runId, sampleIds: probe, labels: labelsOf(dataset, probe) });
    }
    instruments = new Instruments({ config, paths, runId: recorder.runId, dataset, model, memory, xbm, probe, progress });
    if (cp) {
      instruments.replay(iteration, folder.metrics, folder.evals);
      progress.log(iteration >= config.iterations ? M.finishedRecord(paths.root) : `Resuming ${paths.root} at iteration ${iteration} of ${config.iterations}.`);
    }
    progress.log(`${config.name}: ${dataset.description}; backend ${backend.name}${backend.threads ? ` (${backend.threads} thread${backend.threads > 1 ? 's' : ''})` : ''}; batch ${config.batchSize}; ${config.iterations} iterations.`);
    if (iteration >= config.iterations && instruments.lastEval?.iteration !== iteration) await instruments.evaluate(iteration);

    const metrics = new CsvAppender(paths.metrics, METRICS_COLUMNS);
    const indexTable = smart ? indexTableAppender(paths.root) : null;
    const memoryStaleness = memory ? memoryStalenessAppender(paths.root) : null;
    let warnedExplosion = false;
    if (iteration === 0) await instruments.atBoundary(0);
    while (iteration < config.iterations) {
      const t = iteration + 1;
      const t0 = performance.now();
      const batch = pending ?? draw();
      pending = null;
      const ids = Int32Array.from(batch.ids);
      const labels = labelsOf(dataset, ids);
      // Image datasets augment the training view (seeded by run, iteration and sample) and decode
      // the next batch while this step runs; the sampler's order is the same either way.
      const pixels = dataset.train.loadAugmented ? await dataset.train.loadAugmented(ids, t) : await dataset.train.loadImages(ids);
      if (dataset.train.prefetch && t < config.iterations) {
        pending = draw();
        dataset.train.prefetch(pending.ids);
      }
      const t1 = performance.now();
      const lr = learningRateAt(config, iteration);
      setLearningRate(optimizer, lr);
      const flags = xbm.flags();
      const r = await step(model, loss, optimizer, memory, { pixels, labels, sampleIds: ids, iteration: t }, { ...flags, weight: config.xbm.weight, combine: config.xbm.combine, keepEmbeddings: config.snapshots.logBatches, adapter, keyEncoder, inLossStaleness: memory !== null });
      const t2 = performance.now();
      recorder.stepTook(t2 - t0);
      iteration = t;
      if (r.embeddings) instruments.writeBatch(t, ids, r.embeddings);
      if (r.memoryAges) await memoryStaleness!.append(r.memoryAges.map((b) => ({ iteration: t, ...b })));
      if (flags.memoryLoss && firstMemoryLoss === null) firstMemoryLoss = r.memoryLoss;
      const ages = memory ? memory.ages(t) : { min: NaN, mean: NaN, max: NaN };
      const row: MetricsRow = {
        iteration: t, epoch: batch.epoch, loss: r.loss, batch_loss: r.batchLoss, memory_loss: r.memoryLoss, lr, xbm_active: flags.memoryLoss ? 1 : 0,
        memory_fill: memory?.size ?? 0, memory_bytes: memory?.bytes ?? 0, memory_age_min: ages.min, memory_age_mean: ages.mean, memory_age_max: ages.max,
        batch_pos_pairs: r.batchStats.positive, batch_neg_pairs: r.batchStats.negative, batch_active_pairs: r.batchStats.active,
        memory_pos_pairs: r.memoryStats.positive, memory_neg_pairs: r.memoryStats.negative, memory_active_pairs: r.memoryStats.active,
        ms_per_iteration: t2 - t0, ms_data: t1 - t0, ms_step: t2 - t1, drift_s: NaN, event: '',
      };
      if (!Number.isFinite(r.loss)) {
        row.event = 'diverged';
        await metrics.append([row]);
        finish('diverged', M.diverged(t, r.loss));
        throw new UserError(M.diverged(t, r.loss));
      }
      if (!warnedExplosion && firstMemoryLoss !== null && firstMemoryLoss > 0 && r.memoryLoss > 10 * firstMemoryLoss) {
        warnedExplosion = true;
        progress.log(M.lossExploded(t, r.memoryLoss, firstMemoryLoss));
      }
      const eventsBefore = xbm.events.length;
      row.drift_s = await instruments.atBoundary(t);
      const events: string[] = xbm.events.slice(eventsBefore).map((e) => e.kind);
      if (smart) {
        const adjustment = smart.observeStep(t, r.batchStats);
        if (adjustment) {
          events.push(adjustment.kind);
          progress.log(`  ${adjustment.reason}`);
        }
        if (refreshDue(smart.config, t, config.iterations)) {
          const refresh = await smart.refresh(t, model);
          await indexTable!.append([refresh]);
          events.push('index-refresh');
          progress.log(miningMessages.refreshed(t, refresh.entries, refresh.recall, refresh.recall_k, refresh.ms_embed + refresh.ms_build));
        }
      }
      row.event = events.join(';');
      await metrics.append([row]);
      instruments.observeStep(row);
      if (config.checkpointEvery > 0 && t % config.checkpointEvery === 0 && t < config.iterations) await checkpoint(t);
      progress.update(t, `loss ${r.loss.toFixed(4)}${flags.memoryLoss ? ` mem ${r.memoryLoss.toFixed(4)}` : ''}${instruments.lastEval ? ` R@1 ${instruments.lastEval.recall_at_1.toFixed(3)}` : ''}`);
      // The synchronous step never yields: without a turn of the event loop a Ctrl-C would only be seen after the last iteration.
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.onIteration?.(t);
      if (opts.signal?.aborted && t < config.iterations) {
        progress.done();
        await checkpoint(t);
        const message = M.interrupted(paths.root, t);
        finish('interrupted', message);
        progress.log(message);
        return recorder.record;
      }
    }
    progress.done();
    await checkpoint(iteration);
    const record = recorder.record;
    finish('completed');
    if (record.collapse?.collapsed) progress.log(M.collapsed(record.collapse.signals.map((s) => (s as { message: string }).message).join(' ')));
    if (xbm.enabled && config.xbm.start.kind === 'auto' && xbm.startIteration === null) progress.log(M.autoNotReached(xbm.threshold));
    return record;
  } catch (e) {
    progress.done();
    if (recorder && instruments && recorder.record.status === 'running') {
      try {
        finish('failed', e instanceof Error ? e.message : String(e));
      } catch {
        // The record cannot be written either (a full disk): the original error says why.
      }
    }
    throw e;
  } finally {
    folder.lock.release();
    release();
  }
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs reads the protected learningRate field at every update; there is no public setter on Adam.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
