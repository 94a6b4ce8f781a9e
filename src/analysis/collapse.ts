import type { DriftRow, EvalRow, MetricsRow } from '../io/tables.js';
import { analysisMessages as msg } from '../messages/analysis.js';

/**
 * Thresholds of collapse detection, in one place. The lab's collapses were gross (memory loss
 * above 1,000, test R@1 from 0.5-0.7 down to 0.02, D(t; 100) of 1-3 against 0.02 without XBM),
 * so the bounds are loose on purpose: they flag collapses, not ordinary noise.
 */
export const COLLAPSE_THRESHOLDS = {
  /** memory loss above this multiple of its reference (below) */
  memoryLossFactor: 10,
  /** reference = median memory loss over this many active iterations from the start on */
  memoryLossReferenceSteps: 5,
  /**
   * Absolute bound, when the batch size is known: memory loss above this many loss units per
   * batch-vs-memory pair per anchor, i.e. memory_loss > 0.25 * (pos + neg pairs) / B. With the
   * paper's normalisation (sum over pairs / B) a contrastive pair contributes at most 2, and a
   * healthy memory has most negatives inactive (0), so 0.25 per pair on average means the
   * memory's negatives look like positives.
   */
  memoryLossPerPair: 0.25,
  /** D(t; smallest gap) above this (4 is the maximum for unit vectors; 2 means orthogonal) */
  driftNearMax: 1,
  /** test Recall@1 below this fraction of its value at the start */
  recallFraction: 0.5,
} as const;

export type CollapseThresholds = { [K in keyof typeof COLLAPSE_THRESHOLDS]: number };

export type CollapseKind = 'memory-loss-explosion' | 'drift-near-max' | 'recall-drop';
// Orders signals of one iteration, so the list does not depend on which stream was fed first.
const KIND_ORDER: readonly CollapseKind[] = ['memory-loss-explosion', 'drift-near-max', 'recall-drop'];

export interface CollapseSignal {
  kind: CollapseKind;
  iteration: number;
  value: number;
  /** What the value was compared with: the reference it exploded from / fell from, or the bound. */
  reference: number;
  message: string;
}

export type MetricsLike = Pick<MetricsRow, 'iteration' | 'memory_loss'> &
  Partial<Pick<MetricsRow, 'xbm_active' | 'memory_pos_pairs' | 'memory_neg_pairs'>>;
export type EvalLike = Pick<EvalRow, 'iteration' | 'recall_at_1'>;

export interface CollapseOptions {
  /** Enables the absolute memory-loss bound (memoryLossPerPair). */
  batchSize?: number;
  thresholds?: Partial<CollapseThresholds>;
}

/**
 * Incremental collapse detection for the trainer: feed metrics, eval and drift rows as they
 * come (each stream in iteration order); each observe* returns a signal the first time that kind
 * fires, else null. Only what happens after the XBM start counts: drift is naturally large early
 * in training, so with no start (null) nothing is checked.
 *
 * - memory-loss-explosion: memory loss > memoryLossFactor x its reference, the median of the
 *   first memoryLossReferenceSteps active iterations (xbm_active 1, a finite loss) at or after the
 *   start, checked from the row after them (skipped when the reference is 0); or, with batchSize,
 *   memory loss > memoryLossPerPair * (memory pos + neg pairs) / batchSize at any active row.
 * - drift-near-max: D(t; gap) > driftNearMax for a row with t > start. Pass drift at a small
 *   gap (the trainer's D(t; S)); detectCollapse passes each iteration's smallest measured gap.
 * - recall-drop: Recall@1 < recallFraction x the reference, the last evaluation at or before the
 *   start (skipped when there is none or it is 0).
 */
export class CollapseMonitor {
  readonly thresholds: CollapseThresholds;
  private start: number | null;
  private readonly lossWindow: number[] = [];
  private lossReference: number | null = null;
  private recallReference: number | null = null;
  private readonly found = new Map<CollapseKind, CollapseSignal>();

  constructor(xbmStart: number | null, private readonly opts: CollapseOptions = {}) {
    this.start = xbmStart;
    this.thresholds = { ...COLLAPSE_THRESHOLDS, ...opts.thresholds };
  }

  /** Set when the trainer switches XBM on. */
  setStart(iteration: number): void {
    this.start = iteration;
  }

  get signals(): CollapseSignal[] {
    return [...this.found.values()].sort((a, b) => a.iteration - b.iteration || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  }

  get collapsed(): boolean {
    return this.found.size > 0;
  }

  observeMetrics(row: MetricsLike): CollapseSignal | null {
    const th = this.thresholds;
    if (this.start === null || row.iteration < this.start || row.xbm_active === 0) return null;
    const loss = row.memory_loss;
    if (!Number.isFinite(loss) && !Number.isNaN(loss)) {
      return this.signal('memory-loss-explosion', row.iteration, loss, this.lossReference ?? NaN,
        msg.memoryLossNonFinite(row.iteration, loss));
    }
    if (Number.isNaN(loss)) return null;
    const pairs = (row.memory_pos_pairs ?? NaN) + (row.memory_neg_pairs ?? NaN);
    if (this.opts.batchSize !== undefined && Number.isFinite(pairs) && pairs > 0) {
      const bound = (th.memoryLossPerPair * pairs) / this.opts.batchSize;
      if (loss > bound) {
        return this.signal('memory-loss-explosion', row.iteration, loss, bound,
          msg.memoryLossAbsolute(row.iteration, loss, bound, th.memoryLossPerPair));
      }
    }
    if (this.lossReference === null) {
      this.lossWindow.push(loss);
      if (this.lossWindow.length >= th.memoryLossReferenceSteps) this.lossReference = median(this.lossWindow);
      return null;
    }
    if (this.lossReference > 0 && loss > th.memoryLossFactor * this.lossReference) {
      return this.signal('memory-loss-explosion', row.iteration, loss, this.lossReference,
        msg.memoryLossRelative(row.iteration, loss, this.lossReference, th.memoryLossFactor));
    }
    return null;
  }

  observeEval(row: EvalLike): CollapseSignal | null {
    if (!Number.isFinite(row.recall_at_1)) return null;
    // Before a start is known, every evaluation may still turn out to be the reference.
    if (this.start === null || row.iteration <= this.start) {
      this.recallReference = row.recall_at_1;
      return null;
    }
    const ref = this.recallReference;
    if (ref !== null && ref > 0 && row.recall_at_1 < this.thresholds.recallFraction * ref) {
      return this.signal('recall-drop', row.iteration, row.recall_at_1, ref,
        msg.recallDrop(row.iteration, row.recall_at_1, ref, this.thresholds.recallFraction));
    }
    return null;
  }

  observeDrift(row: DriftRow): CollapseSignal | null {
    if (this.start === null || row.iteration <= this.start) return null;
    if (row.mean > this.thresholds.driftNearMax) {
      return this.signal('drift-near-max', row.iteration, row.mean, this.thresholds.driftNearMax,
        msg.driftNearMax(row.iteration, row.gap, row.mean, this.thresholds.driftNearMax));
    }
    return null;
  }

  private signal(kind: CollapseKind, iteration: number, value: number, reference: number, message: string): CollapseSignal | null {
    if (this.found.has(kind)) return null;
    const s = { kind, iteration, value, reference, message };
    this.found.set(kind, s);
    return s;
  }
}

/**
 * Offline collapse detection over a run's tables, through the same CollapseMonitor the trainer
 * uses. Reports the first signal of each kind; collapsed when any fired.
 */
export function detectCollapse(
  input: { metrics?: MetricsLike[]; eval?: EvalLike[]; drift?: DriftRow[]; xbmStart: number | null },
  opts: CollapseOptions = {},
): { collapsed: boolean; signals: CollapseSignal[] } {
  const monitor = new CollapseMonitor(input.xbmStart, opts);
  const byIteration = <T extends { iteration: number }>(rows: readonly T[] = []) =>
    [...rows].sort((a, b) => a.iteration - b.iteration);
  for (const r of byIteration(input.metrics)) monitor.observeMetrics(r);
  for (const r of byIteration(input.eval)) monitor.observeEval(r);
  for (const r of smallestGapPerIteration(input.drift ?? [])) monitor.observeDrift(r);
  return { collapsed: monitor.collapsed, signals: monitor.signals };
}

function smallestGapPerIteration(rows: readonly DriftRow[]): DriftRow[] {
  const best = new Map<number, DriftRow>();
  for (const r of rows) {
    if (r.gap <= 0) continue; // gap 0 is 0 by definition
    const cur = best.get(r.iteration);
    if (cur === undefined || r.gap < cur.gap) best.set(r.iteration, r);
  }
  return [...best.values()].sort((a, b) => a.iteration - b.iteration);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
