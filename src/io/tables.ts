/**
 * Row types and column orders of the CSV tables in a run folder: the contract between the trainer
 * (which writes them) and analysis/report (which read them). See docs/run-folder.md.
 */

/** metrics.csv: one row per training iteration. */
export interface MetricsRow {
  iteration: number;
  epoch: number;
  loss: number;
  batch_loss: number;
  memory_loss: number; // 0 while XBM is off
  lr: number;
  xbm_active: 0 | 1; // the memory loss counted in this step
  memory_fill: number; // entries in the memory
  memory_bytes: number;
  memory_age_min: number; // iterations since the oldest/newest entry was written; NaN when empty
  memory_age_mean: number;
  memory_age_max: number;
  batch_pos_pairs: number; // pair counts of the batch-vs-batch loss
  batch_neg_pairs: number;
  batch_active_pairs: number;
  memory_pos_pairs: number; // pair counts of the batch-vs-memory loss (0 while XBM is off)
  memory_neg_pairs: number;
  memory_active_pairs: number;
  ms_per_iteration: number;
  ms_data: number;
  ms_step: number;
  drift_s: number; // D(t; S) when measured at this iteration (online warm-up / guard), else NaN
  event: string; // '', 'xbm-start', 'xbm-pause', 'xbm-resume', 'collapse', ...
}
export const METRICS_COLUMNS: (keyof MetricsRow)[] = [
  'iteration', 'epoch', 'loss', 'batch_loss', 'memory_loss', 'lr', 'xbm_active', 'memory_fill',
  'memory_bytes', 'memory_age_min', 'memory_age_mean', 'memory_age_max', 'batch_pos_pairs',
  'batch_neg_pairs', 'batch_active_pairs', 'memory_pos_pairs', 'memory_neg_pairs',
  'memory_active_pairs', 'ms_per_iteration', 'ms_data', 'ms_step', 'drift_s', 'event',
];

/** eval.csv: retrieval metrics on the test classes, one row per evaluation. */
export interface EvalRow {
  iteration: number;
  split: string; // 'test'
  recall_at_1: number;
  recall_at_2: number;
  recall_at_4: number;
  recall_at_8: number;
  map_at_r: number;
  nmi: number;
  ms_eval: number;
}
export const EVAL_COLUMNS: (keyof EvalRow)[] = [
  'iteration', 'split', 'recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'nmi', 'ms_eval',
];

/** analysis/drift.csv: D(t; dt) = mean over the probe set of ||f_t(x) - f_(t-dt)(x)||^2. */
export interface DriftRow {
  iteration: number; // t
  gap: number; // dt
  mean: number;
  median: number;
  p90: number;
  max: number;
  n: number; // probe samples
  // The probe's scatter at t (the later snapshot), for the scatter warm-up policy: pooled
  // within-class variance W and between-class scatter B (analysis/drift-stats.ts probeScatter).
  // Absent from drift.csv files written before these columns existed: read as NaN.
  scatter_within?: number;
  scatter_between?: number;
  // The mean squared distance between two different probe samples at t (drift-stats.ts probeScatter's
  // spread), for the trial warm-up policy. Absent from older drift.csv files: read as NaN.
  probe_spread?: number;
}
export const DRIFT_COLUMNS: (keyof DriftRow)[] = [
  'iteration', 'gap', 'mean', 'median', 'p90', 'max', 'n', 'scatter_within', 'scatter_between', 'probe_spread',
];
/** Columns a drift.csv may lack (written before they existed); readers fill them with NaN. */
export const DRIFT_OPTIONAL_COLUMNS: readonly (keyof DriftRow)[] = ['scatter_within', 'scatter_between', 'probe_spread'];

/** Drift rows as read from a file, with the optional columns it lacks set to NaN. */
export function withOptionalDriftColumns<T extends DriftRow>(rows: T[]): T[] {
  for (const r of rows) for (const c of DRIFT_OPTIONAL_COLUMNS) if (typeof r[c] !== 'number') (r as Record<string, unknown>)[c] = NaN;
  return rows;
}

/** staleness.csv: true staleness of the memory, measured every N iterations on request. */
export interface StalenessRow {
  iteration: number;
  entries: number;
  age_mean: number; // iterations
  age_max: number;
  drift_mean: number; // mean ||stored - fresh||^2 over the memory
  drift_median: number;
  drift_p90: number;
  drift_max: number;
  /**
   * The trainer's own columns (not the Python logger's, which has no loss to decide pairs with):
   * for the newest batch-size entries' fresh features as queries against the memory, the valid
   * pairs, the loss's active pairs with the stored and with fresh features, and the pairs active
   * with one and not the other (memory/decision-flips.ts).
   */
  flip_pairs?: number;
  active_stale?: number;
  active_fresh?: number;
  flips?: number;
  flip_share?: number;
}
/** The columns every staleness.csv has (the Python logger's too; the import checks them). */
export const STALENESS_COLUMNS: (keyof StalenessRow)[] = [
  'iteration', 'entries', 'age_mean', 'age_max', 'drift_mean', 'drift_median', 'drift_p90', 'drift_max',
];
/** The trainer's staleness.csv: the common columns, then the decision flips. */
export const TRAINER_STALENESS_COLUMNS: (keyof StalenessRow)[] = [...STALENESS_COLUMNS, 'flip_pairs', 'active_stale', 'active_fresh', 'flips', 'flip_share'];

/** Evaluation rows on the test split (all rows when the split is not recorded). */
export function testRows(rows: EvalRow[]): EvalRow[] {
  const withSplit = rows.filter((r) => typeof r.split === 'string' && r.split !== '');
  return withSplit.length === 0 ? rows : withSplit.filter((r) => r.split === 'test');
}
