import type { TopLevelSpec } from 'vega-lite';
import type { StartDecision } from '../io/formats/start-decision.js';
import type { SweepPointRow } from '../io/formats/sweep-table.js';
import type { DriftRow, EvalRow, MetricsRow, StalenessRow } from '../io/tables.js';
import type { IndexRefreshRow } from '../io/formats/index-table.js';
import type { MemoryStalenessRow } from '../io/formats/memory-staleness.js';
import type { RepresentationTables } from './load-representation.js';

export type Row = Record<string, unknown>;

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
  /** Who wrote analysis/warmup.json and the run whose drift its policy read. */
  suggestionSource?: SuggestionSource;
  timings: { msPerIteration?: number; wallSeconds?: number };
  final: Record<string, number>;
  collapse?: { collapsed: boolean; signals: unknown };
  metrics: MetricsRow[] | null;
  eval: EvalRow[] | null;
  drift: DriftRow[] | null;
  staleness: StalenessRow[] | null;
  /** index.csv: smart mining's refreshes (null without smart mining) */
  index: IndexRefreshRow[] | null;
  /** memory-staleness.csv: the in-loss staleness by entry age (null or absent without a memory) */
  memoryStaleness?: MemoryStalenessRow[] | null;
  /** From snapshots/*.arrow: probe trajectories on fixed PCA axes and linear CKA (null or absent without snapshots) */
  representation?: RepresentationTables | null;
}

export interface SuggestionSource {
  /** The `warmup` verb, or the demo (which then fixes its XBM run's start at the suggestion). */
  writer: 'warmup' | 'demo';
  /** The run folder the policy read, as warmup.json holds it ('' in files of older demos). */
  run: string;
  /** That run's key when it is one of the report's runs (load-run.ts linkSuggestionSources). */
  key?: string;
}

export interface SweepTables {
  key: string;
  dir: string;
  gridKeys: string[];
  points: SweepPointRow[];
}

/**
 * A figure's id (its file names under figures/): each figure module declares its own, so a new
 * figure is its module plus one line in FIGURE_BUILDERS (build-report.ts), nothing here.
 */
export type FigureId = string;

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
  suggestionSource?: SuggestionSource;
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
