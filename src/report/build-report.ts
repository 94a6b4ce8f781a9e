import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { folderKind } from '../io/folder-kind.js';
import { readSweepFile, sweepPaths } from '../io/formats/sweep-file.js';
import { collectSweepRows } from '../io/formats/sweep-table.js';
import type { FigureContext } from './figures/common.js';
import { ckaDriftFigure } from './figures/cka-drift.js';
import { driftFigure } from './figures/drift.js';
import { lossesFigure } from './figures/losses.js';
import { memoryStalenessFigure } from './figures/memory-staleness.js';
import { miningFigure } from './figures/mining.js';
import { pcaTrajectoryFigure } from './figures/pca-trajectories.js';
import { resourcesFigure } from './figures/resources.js';
import { retrievalFigure } from './figures/retrieval.js';
import { retrievalTimeFigure } from './figures/retrieval-time.js';
import { smartIndexFigure } from './figures/smart-index.js';
import { stalenessFigure } from './figures/staleness.js';
import { decisionFlipsFigure } from './figures/decision-flips.js';
import { sweepBatchFigure, sweepMemoryFigure } from './figures/sweeps.js';
import { assignKeys, linkSuggestionSources, loadRun } from './load-run.js';
import { getTheme } from './theme.js';
import type { Figure, FigureInput, FigureOutcome, Report, ReportSummary, RunTables, SkippedFigure, SweepTables, ThemeName } from './types.js';

export interface BuildReportOptions {
  theme?: ThemeName;
  /** Moving-average window for the loss curves, in logged rows; 0 or 1 = raw. */
  smooth?: number;
  /** Compare runs of different datasets. */
  force?: boolean;
  /** Most points per series in a figure. */
  maxPoints?: number;
}

/** Every figure of a report, in the order it shows them. */
export const FIGURE_BUILDERS: readonly ((input: FigureInput, ctx: FigureContext) => FigureOutcome)[] = [
  driftFigure,
  pcaTrajectoryFigure,
  ckaDriftFigure,
  retrievalFigure,
  retrievalTimeFigure,
  lossesFigure,
  miningFigure,
  stalenessFigure,
  decisionFlipsFigure,
  memoryStalenessFigure,
  smartIndexFigure,
  sweepBatchFigure,
  sweepMemoryFigure,
  resourcesFigure,
];

export function buildFigures(input: FigureInput, ctx: FigureContext): { figures: Figure[]; skipped: SkippedFigure[] } {
  const figures: Figure[] = [];
  const skipped: SkippedFigure[] = [];
  for (const build of FIGURE_BUILDERS) {
    const out = build(input, ctx);
    if (out.kind === 'figure') figures.push(out.figure);
    else skipped.push(out.skipped);
  }
  return { figures, skipped };
}

export function figureContext(runs: readonly RunTables[], opts: BuildReportOptions): FigureContext {
  const smooth = opts.smooth ?? 0;
  if (!Number.isInteger(smooth) || smooth < 0) throw new UserError(reportMessages.badSmooth(smooth));
  return { theme: getTheme(opts.theme ?? 'default'), runDomain: runs.map((r) => r.key), smooth, maxPoints: opts.maxPoints ?? 1500 };
}

async function loadSweep(dir: string): Promise<{ sweep: SweepTables; runDirs: string[] }> {
  const json = readSweepFile(dir)!;
  const points = await collectSweepRows(dir, json);
  const runDirs = json.points.map((p) => sweepPaths(dir).point(p.name)).filter((d) => folderKind(d) === 'run');
  return { sweep: { key: basename(resolve(dir)), dir, gridKeys: json.grid.map((a) => a.key), points }, runDirs };
}

/** Read run and sweep folders (a sweep brings its points' runs) and build every figure that has data. */
export async function buildReport(inputs: string | readonly string[], opts: BuildReportOptions = {}): Promise<Report> {
  const dirs = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (dirs.length === 0) throw new UserError(reportMessages.noInputs);
  const runDirs: string[] = [];
  const sweeps: SweepTables[] = [];
  for (const dir of dirs) {
    const kind = folderKind(dir);
    if (kind === 'missing') throw new UserError(existsSync(dir) ? reportMessages.inputIsFile(dir) : reportMessages.notFound(dir));
    if (kind === 'other') throw new UserError(reportMessages.notRunOrSweep(dir));
    if (kind === 'run') runDirs.push(dir);
    else {
      const s = await loadSweep(dir);
      sweeps.push(s.sweep);
      runDirs.push(...s.runDirs);
    }
  }
  const unique = [...new Map(runDirs.map((d) => [resolve(d), d])).values()];
  const runs = linkSuggestionSources(assignKeys(await Promise.all(unique.map((d) => loadRun(d)))));
  const datasets = [...new Map(runs.map((r) => [r.datasetKey, r.dataset])).values()];
  if (datasets.length > 1 && !opts.force) throw new UserError(reportMessages.mixedDatasets(datasets));

  const ctx = figureContext(runs, opts);
  const { figures, skipped } = buildFigures({ runs, sweeps }, ctx);
  return { inputs: dirs, theme: ctx.theme.name, smooth: ctx.smooth, runs, sweeps, figures, skipped, summary: summarise(runs, sweeps, figures, skipped) };
}

export function summarise(runs: readonly RunTables[], sweeps: readonly SweepTables[], figures: readonly Figure[], skipped: readonly SkippedFigure[]): ReportSummary {
  return {
    runs: runs.map((r) => ({
      key: r.key,
      name: r.name,
      dir: r.dir,
      dataset: r.dataset,
      status: r.status,
      seed: r.seed,
      backend: r.backend,
      iterations: r.iterations,
      batchSize: r.batchSize,
      loss: r.loss,
      memorySize: r.xbm.size,
      memoryWeight: r.xbm.weight,
      start: r.xbm.start,
      decision: r.xbm.decision,
      suggestion: r.suggestion,
      suggestionSource: r.suggestionSource,
      final: r.final,
      collapse: r.collapse,
      msPerIteration: r.timings.msPerIteration,
      wallSeconds: r.timings.wallSeconds,
    })),
    sweeps: sweeps.map((s) => ({
      key: s.key,
      dir: s.dir,
      gridKeys: s.gridKeys,
      points: s.points.length,
      completed: s.points.filter((p) => p.status === 'completed').length,
    })),
    skipped: skipped.map((s) => `${s.title}: ${s.reason}`),
    warnings: [...new Set([...missingDriftWarnings(runs), ...figures.flatMap((f) => f.warnings.filter((w) => !isMissingDrift(runs, w)))])],
  };
}

/** One line per run without drift.csv, or one line for all of them when there are many. */
function missingDriftWarnings(runs: readonly RunTables[]): string[] {
  const missing = runs.filter((r) => !r.drift || r.drift.length === 0);
  if (missing.length > 3) return [reportMessages.missingDriftMany(missing.map((r) => r.key))];
  return missing.map((r) => reportMessages.missingDrift(r.key, r.dir));
}

const isMissingDrift = (runs: readonly RunTables[], w: string) => runs.some((r) => w === reportMessages.missingDrift(r.key, r.dir));
