import { existsSync } from 'node:fs';
import type { TrainConfig } from '../config/train-config.js';
import type { Dataset } from '../data/types.js';
import type { Embedder } from '../model/embedder.js';
import { embedSamples } from '../model/embed.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import type { RunPaths } from '../io/run-paths.js';
import { CsvAppender } from '../io/csv.js';
import { EVAL_COLUMNS, TRAINER_STALENESS_COLUMNS, type EvalRow, type MetricsRow, type StalenessRow } from '../io/tables.js';
import { readSnapshot, writeSnapshot } from '../io/snapshot-file.js';
import { driftRowAt, pairDrift } from '../analysis/drift.js';
import { CollapseMonitor } from '../analysis/collapse.js';
import { similarityKernel } from '../losses/create-loss.js';
import type { SimilarityLossKernel } from '../losses/pair-loss.js';
import { decisionFlips } from '../memory/decision-flips.js';
import { Rng } from '../random.js';
import { evaluateDataset } from './evaluate.js';
import { scheduledGap, snapshotSchedule } from '../config/snapshot-schedule.js';
import type { Progress } from './progress.js';
import type { XbmController } from './xbm-controller.js';
import type { RestoreFrom, SavedPart, TrainingPart } from './parts.js';

/** Snapshot files of one run: the probe's embeddings at scheduled iterations, and logged batches. */
export class RunSnapshots {
  constructor(private readonly paths: RunPaths, private readonly runId: string, private readonly dim: number) {}

  write(t: number, sampleIds: Int32Array, labels: Int32Array, embeddings: Float32Array): void {
    writeSnapshot(this.paths.snapshot(t), { runId: this.runId, iteration: t, sampleIds, labels, embeddings, dim: this.dim, normalized: true });
  }
  writeBatch(t: number, sampleIds: Int32Array, labels: Int32Array, embeddings: Float32Array): void {
    writeSnapshot(this.paths.batch(t), { runId: this.runId, iteration: t, sampleIds, labels, embeddings, dim: this.dim, normalized: true, kind: 'batch' });
  }
  has(t: number): boolean {
    return t >= 0 && existsSync(this.paths.snapshot(t));
  }
  embeddings(t: number): Float32Array {
    return readSnapshot(this.paths.snapshot(t)).embeddings;
  }
}

interface InstrumentsInput {
  config: TrainConfig;
  paths: RunPaths;
  runId: string;
  dataset: Dataset;
  model: Embedder;
  memory: CrossBatchMemory | null;
  xbm: XbmController;
  probe: Int32Array | null;
  progress: Progress;
}

/**
 * What the trainer measures at the boundary "after t steps", apart from the step itself: probe
 * snapshots, online drift D(t; gap) fed to the XBM controller (which may start XBM), the memory's
 * initial fill, its true staleness, test evaluation, and collapse watching. Owns the time these
 * take, so the record can report them apart from training.
 */
export class Instruments implements TrainingPart {
  readonly schedule: { has(t: number): boolean };
  /** the gap online drift is measured at (null: XBM off) */
  readonly driftGap: number | null;
  readonly collapse: CollapseMonitor;
  lastEval: EvalRow | null = null;
  snapshotMs = 0;
  evalMs = 0;
  private readonly snapshots: RunSnapshots;
  private readonly evals: CsvAppender;
  private readonly staleness: CsvAppender;
  private readonly probeLabels: Int32Array | null;
  /** the run's loss on a host similarity matrix, for the decision flips of the true staleness */
  private readonly hostKernel: SimilarityLossKernel;

  constructor(private readonly r: InstrumentsInput) {
    const { config, paths, xbm } = r;
    this.driftGap = scheduledGap(xbm.driftGap(), config.snapshots.every);
    const offsets = withGap(config.snapshots.offsets, this.driftGap, config.snapshots.every);
    this.schedule = snapshotSchedule(config.snapshots.every, offsets, config.iterations);
    this.snapshots = new RunSnapshots(paths, r.runId, r.model.dim);
    this.evals = new CsvAppender(paths.eval, EVAL_COLUMNS);
    this.staleness = new CsvAppender(paths.staleness, TRAINER_STALENESS_COLUMNS);
    this.probeLabels = r.probe && labelsOf(r.dataset, r.probe);
    this.hostKernel = similarityKernel(config.loss);
    this.collapse = new CollapseMonitor(null);
  }

  /** Snapshot, drift, XBM start, staleness and evaluation due after t steps. Returns D(t; gap), or NaN. */
  async atBoundary(t: number): Promise<number> {
    const { config, memory, xbm } = this.r;
    let driftS = NaN;
    if (this.r.probe && this.schedule.has(t)) {
      const t0 = Date.now();
      const emb = await embedSamples(this.r.model, this.r.dataset.train, this.r.probe);
      this.snapshots.write(t, this.r.probe, this.probeLabels!, emb);
      const gap = this.driftGap;
      if (gap !== null && t - gap >= 0 && this.schedule.has(t - gap)) {
        // The row the drift command would write for this pair (scatter included), so online and offline agree.
        const row = driftRowAt(t, gap, emb, this.snapshots.embeddings(t - gap), this.probeLabels!, this.r.model.dim);
        driftS = row.mean;
        if (xbm.observeDrift(row)) await this.xbmStarted(t);
        for (const e of xbm.events.filter((e) => e.iteration === t && e.kind !== 'xbm-start')) this.r.progress.log(`  ${e.message}`);
      }
      this.snapshotMs += Date.now() - t0;
    }
    if (xbm.startsAt(t)) await this.xbmStarted(t);
    if (config.snapshots.stalenessEvery > 0 && memory && memory.size > 0 && t % config.snapshots.stalenessEvery === 0) {
      await this.staleness.append([await this.measureStaleness(t)]);
    }
    if ((config.eval.every > 0 && t % config.eval.every === 0 && t > 0) || t === config.iterations) await this.evaluate(t);
    return driftS;
  }

  /** A training step's row, for collapse watching and the start policy's watch. */
  observeStep(row: MetricsRow): void {
    this.collapse.observeMetrics(row);
    this.r.xbm.observeStep(row);
  }

  writeBatch(t: number, sampleIds: Int32Array, embeddings: Float32Array): void {
    this.snapshots.writeBatch(t, sampleIds, labelsOf(this.r.dataset, sampleIds), embeddings);
  }

  /** The instruments' state is in the run's tables and snapshots, not in the checkpoint. */
  save(): SavedPart {
    return {};
  }

  restore(from: RestoreFrom): void {
    this.replay(from.iteration, from.metrics, from.evals);
  }

  /**
   * After a resume: rebuild the XBM controller's and the collapse monitor's state from what the
   * run wrote before its checkpoint (the drift it measured, its rows), as if it had never stopped.
   */
  replay(upTo: number, metrics: readonly MetricsRow[], evals: readonly EvalRow[]): void {
    const { xbm } = this.r;
    const gap = this.driftGap;
    const rowAt = new Map(metrics.map((r) => [r.iteration, r]));
    for (let t = 0; t <= upTo; t++) {
      if (gap !== null && this.schedule.has(t) && this.schedule.has(t - gap) && this.snapshots.has(t) && this.snapshots.has(t - gap)) {
        if (xbm.observeDrift(driftRowAt(t, gap, this.snapshots.embeddings(t), this.snapshots.embeddings(t - gap), this.probeLabels!, this.r.model.dim))) this.collapse.setStart(t);
      }
      if (xbm.startsAt(t)) this.collapse.setStart(t);
      // The trainer's order at a boundary: the drift of t, then step t's row.
      const row = rowAt.get(t);
      if (row) xbm.observeStep(row);
    }
    // Streams are independent in the monitor: all rows, then all evaluations, as the offline detector does.
    for (const row of metrics) this.collapse.observeMetrics(row);
    const primary = evals.filter((r) => r.split === 'test');
    for (const row of primary) this.collapse.observeEval(row);
    this.lastEval = primary.at(-1) ?? null;
  }

  /** The dataset's own protocol (leave-one-out, query vs gallery, or several test sets): one row per set, 'test' first. */
  async evaluate(t: number): Promise<EvalRow> {
    const { config } = this.r;
    const rows = await evaluateDataset(this.r.model, this.r.dataset, t, { ks: config.eval.ks, nmi: config.eval.nmi, seed: config.seed });
    this.evalMs += Math.max(...rows.map((r) => r.ms_eval));
    await this.evals.append(rows);
    const row = rows.find((r) => r.split === 'test') ?? rows[0];
    this.lastEval = row;
    this.collapse.observeEval(row);
    for (const r of rows) {
      this.r.progress.log(`  eval @${t}${rows.length > 1 ? ` ${r.split}` : ''}: R@1 ${r.recall_at_1.toFixed(4)}  MAP@R ${r.map_at_r.toFixed(4)}  NMI ${Number.isNaN(r.nmi) ? '-' : r.nmi.toFixed(4)}`);
    }
    return row;
  }

  private async xbmStarted(t: number): Promise<void> {
    const { config, memory, xbm, dataset, model } = this.r;
    this.collapse.setStart(t);
    const start = xbm.events.find((e) => e.kind === 'xbm-start');
    if (start) this.r.progress.log(`  ${start.message}`);
    if (config.xbm.init !== 'random' || !memory) return;
    // The paper's recipe: fill the memory with features of random training images from the current model.
    const fillRng = new Rng(config.seed + t);
    const ids = Int32Array.from({ length: memory.capacity }, () => fillRng.int(dataset.train.size));
    memory.enqueue(await embedSamples(model, dataset.train, ids), labelsOf(dataset, ids), ids, t);
  }

  /** True staleness: the stored embeddings against fresh ones of the same samples. */
  private async measureStaleness(t: number): Promise<StalenessRow> {
    const { memory, model, dataset } = this.r;
    const entries = memory!.entries();
    const stored = new Float32Array(entries.length * model.dim);
    entries.forEach((e, i) => stored.set(e.embedding, i * model.dim));
    const fresh = await embedSamples(model, dataset.train, Int32Array.from(entries, (e) => e.sampleId));
    const d = pairDrift(stored, fresh, model.dim);
    const ages = memory!.ages(t);
    // The newest batch-size entries, freshly embedded, stand in for the next batch's queries.
    const nq = Math.min(this.r.config.batchSize, entries.length);
    const first = entries.length - nq;
    const labels = Int32Array.from(entries, (e) => e.label);
    const ids = Int32Array.from(entries, (e) => e.sampleId);
    const kernel = this.hostKernel;
    const f = decisionFlips(
      (sim, pairs) => kernel(sim, pairs).grad,
      { features: fresh.subarray(first * model.dim), labels: labels.subarray(first), ids: ids.subarray(first) },
      { stored, fresh, labels, ids },
      model.dim,
    );
    return {
      iteration: t, entries: entries.length, age_mean: ages.mean, age_max: ages.max, drift_mean: d.mean, drift_median: d.median, drift_p90: d.p90, drift_max: d.max,
      flip_pairs: f.pairs, active_stale: f.activeStale, active_fresh: f.activeFresh, flips: f.flips, flip_share: f.pairs > 0 ? f.flips / f.pairs : NaN,
    };
  }
}

/** Online drift needs snapshots `gap` apart: a gap below the schedule's spacing becomes an offset. */
function withGap(offsets: readonly number[], gap: number | null, every: number): number[] {
  return gap !== null && gap > 0 && gap < every && !offsets.includes(gap) ? [...offsets, gap] : [...offsets];
}

export function labelsOf(dataset: Dataset, ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = dataset.train.labels[ids[i]];
  return out;
}
