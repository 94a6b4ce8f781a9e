import type { TopLevelSpec } from 'vega-lite';
import type { DriftRow, EvalRow, MetricsRow, StalenessRow } from '../io/tables.js';

export type Row = Record<string, unknown>;

/** How the XBM start iteration was chosen, as the trainer or `xbm-drift warmup` records it. */
export interface StartDecision {
  start: number | null;
  policy: string;
  parameters?: unknown;
  evidence?: unknown;
  reason?: string;
}

/** One run folder, read defensively: every optional table is null when its file is absent. */
export interface RunTables {
  /** Unique label of the run in this report: the colour domain and the panel title. */
  key: string;
  dir: string;
  name: string;
  runId?: string;
  dataset: string;
  /** The dataset as stable JSON: runs compare only when these are equal. */
  datasetKey: string;
  status?: string;
  seed?: number;
  backend?: string;
  startedAt?: string;
  endedAt?: string;
  iterations?: number;
  batchSize?: number;
  loss?: string;
  embeddingDim?: number;
  xbm: {
    size?: number;
    weight?: number;
    /** The iteration XBM started at; null when it never started; undefined when unknown. */
    start: number | null | undefined;
    decision?: StartDecision;
    /** The drift threshold the trainer watched D(t; span) against, when it logged one. */
    threshold?: number;
    span?: number;
  };
  /** analysis/warmup.json: what a warm-up policy suggests from the measured drift. */
  suggestion?: StartDecision;
  timings: { msPerIteration?: number; wallSeconds?: number };
  final: Record<string, number>;
  collapse?: { collapsed: boolean; signals: unknown };
  metrics: MetricsRow[] | null;
  eval: EvalRow[] | null;
  drift: DriftRow[] | null;
  staleness: StalenessRow[] | null;
}

/** One sweep point: its grid values, status and final metrics (a row of sweep.csv). */
export interface SweepPointRow {
  point: string;
  values: Record<string, string>;
  status: string;
  recall_at_1: number;
  recall_at_2: number;
  recall_at_4: number;
  recall_at_8: number;
  map_at_r: number;
  ms_per_iteration: number;
  wall_seconds: number;
  run_dir: string;
  /** Batch size, memory size and whether XBM ran, from the grid or the run's config. */
  batch?: number;
  memory?: number;
  xbm?: 'on' | 'off';
}

export interface SweepTables {
  key: string;
  dir: string;
  gridKeys: string[];
  points: SweepPointRow[];
}

export type FigureId =
  | 'drift'
  | 'retrieval'
  | 'losses'
  | 'mining'
  | 'staleness'
  | 'sweep-batch'
  | 'sweep-memory'
  | 'resources';

/** Width class of a figure: one column or both columns of a two-column paper. */
export type FigureSpan = 'single' | 'double';

export interface Figure {
  id: FigureId;
  title: string;
  spec: TopLevelSpec;
  /** The rows the figure shows (written as figures/<id>.csv). */
  data: Row[];
  columns: string[];
  span: FigureSpan;
  /** What the figure shows and how to read it. */
  notes: string[];
  /** Data the figure lacks and the command that produces it. */
  warnings: string[];
}

export interface SkippedFigure {
  id: FigureId;
  title: string;
  reason: string;
}

export type FigureOutcome = { kind: 'figure'; figure: Figure } | { kind: 'skipped'; skipped: SkippedFigure };

export interface FigureInput {
  runs: RunTables[];
  sweeps: SweepTables[];
}

export interface RunSummary {
  key: string;
  name: string;
  dir: string;
  dataset: string;
  status?: string;
  seed?: number;
  backend?: string;
  iterations?: number;
  batchSize?: number;
  loss?: string;
  memorySize?: number;
  memoryWeight?: number;
  start: number | null | undefined;
  decision?: StartDecision;
  suggestion?: StartDecision;
  final: Record<string, number>;
  collapse?: { collapsed: boolean; signals: unknown };
  msPerIteration?: number;
  wallSeconds?: number;
}

export interface ReportSummary {
  runs: RunSummary[];
  sweeps: { key: string; dir: string; gridKeys: string[]; points: number; completed: number }[];
  /** Figures left out and why. */
  skipped: string[];
  /** Missing data and the command that produces it (the CLI prints these). */
  warnings: string[];
}

export interface Report {
  /** The folders the report was built from, as given. */
  inputs: string[];
  theme: ThemeName;
  smooth: number;
  runs: RunTables[];
  sweeps: SweepTables[];
  figures: Figure[];
  skipped: SkippedFigure[];
  summary: ReportSummary;
}

export type ThemeName = 'default' | 'paper';
