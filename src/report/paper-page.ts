/**
 * The report page of scripts/paper-figures.ts: from one planned sweep folder (src/sweep/paper-plan.ts),
 * R@1 against batch size with and without XBM for each loss, R@1 against memory size, and the
 * drift curves of the densely snapshotted run (and D(t; 100) of longer runs, when given). The figures are the report's own builders applied
 * to the points each one reads.
 */
import { basename, resolve } from 'node:path';
import { folderKind } from '../io/folder-kind.js';
import { sweepPaths, type SweepFile } from '../io/formats/sweep-file.js';
import { collectSweepRows, type SweepPointRow } from '../io/formats/sweep-table.js';
import { figureContext, summarise } from './build-report.js';
import type { FigureContext } from './figures/common.js';
import { driftFigure } from './figures/drift.js';
import { sweepBatchFigure, sweepMemoryFigure } from './figures/sweeps.js';
import { assignKeys, loadRun } from './load-run.js';
import type { Figure, FigureOutcome, Report, RunTables, SkippedFigure, SweepTables, ThemeName } from './types.js';

/** Which figure (or claim) a point of the paper plan serves (src/sweep/paper-plan.ts). */
export type PaperFigure = 'batch' | 'memory' | 'drift' | 'sampler';

/** A point of the plan: which figure it serves is read from its keys (see paperPlan). */
export function paperFigureOf(values: Record<string, string>): PaperFigure {
  if ('snapshot-every' in values) return 'drift';
  if ('sampler' in values) return 'sampler';
  if ('memory' in values) return 'memory';
  return 'batch';
}

/** A builder's figure under the page's id and title (the image's own title too, where the theme draws one). */
function renamed(o: FigureOutcome, id: string, title: string): FigureOutcome {
  if (o.kind === 'skipped') return { kind: 'skipped', skipped: { ...o.skipped, id, title } };
  const spec = 'title' in o.figure.spec ? { ...o.figure.spec, title } : o.figure.spec;
  return { kind: 'figure', figure: { ...o.figure, id, title, spec } };
}

export interface PaperPageInput {
  dir: string;
  sweep: SweepFile;
  /** The run folder of the drift point, when it completed. */
  driftRun?: string;
  /** Longer runs with their D(t; 100) (the slow-drift claim's evidence), drawn as a figure of their own. */
  slowDrift?: RunTables[];
  /** The loss and batch size of the memory figure (the plan's budget). */
  memoryLoss: string;
  memoryBatch: number;
  theme?: ThemeName;
}

export async function buildPaperPage(o: PaperPageInput): Promise<Report> {
  const rows = await collectSweepRows(o.dir, o.sweep);
  const key = basename(resolve(o.dir));
  const tables = (points: SweepPointRow[]): SweepTables => ({ key, dir: o.dir, gridKeys: o.sweep.grid.map((a) => a.key), points });
  const runs: RunTables[] = o.driftRun && folderKind(o.driftRun) === 'run' ? assignKeys([await loadRun(o.driftRun)]) : [];
  const ctx: FigureContext = figureContext(runs, { theme: o.theme ?? 'default' });

  const outcomes: FigureOutcome[] = [];
  const losses = [...new Set(rows.map((r) => r.values.loss).filter((l): l is string => l !== undefined))];
  for (const loss of losses) {
    const points = rows.filter((r) => r.values.loss === loss && paperFigureOf(r.values) === 'batch');
    outcomes.push(renamed(sweepBatchFigure({ runs: [], sweeps: [tables(points)] }, ctx), `paper-batch-${loss}`, `R@1 vs batch size, with and without XBM: ${loss}`));
  }
  // The memory figure: its own points, and the batch figure's points at the same loss and batch (the budget's memory, and the baseline).
  const memoryPoints = rows.filter((r) => r.values.loss === o.memoryLoss && r.batch === o.memoryBatch && ['batch', 'memory'].includes(paperFigureOf(r.values)));
  outcomes.push(renamed(sweepMemoryFigure({ runs: [], sweeps: [tables(memoryPoints)] }, ctx), 'paper-memory', `R@1 vs memory size: ${o.memoryLoss}, batch ${o.memoryBatch}`));
  outcomes.push(renamed(driftFigure({ runs, sweeps: [] }, ctx), 'paper-drift', 'Feature drift D(t; Δt) at several gaps'));
  if (o.slowDrift?.length) outcomes.push(renamed(driftFigure({ runs: o.slowDrift, sweeps: [] }, ctx), 'paper-slow-drift', 'Feature drift D(t; 100) over a long run, per seed'));

  const figures: Figure[] = outcomes.flatMap((x) => (x.kind === 'figure' ? [x.figure] : []));
  const skipped: SkippedFigure[] = outcomes.flatMap((x) => (x.kind === 'skipped' ? [x.skipped] : []));
  const sweeps = [tables(rows)];
  return { inputs: [o.dir], theme: ctx.theme.name, smooth: ctx.smooth, runs, sweeps, figures, skipped, summary: summarise(runs, sweeps, figures, skipped) };
}

/** The drift points' run folders in a planned sweep, one per seed, in plan order. */
export function driftRunsOf(dir: string, sweep: SweepFile): string[] {
  return sweep.points.filter((x) => paperFigureOf(x.values) === 'drift').map((p) => sweepPaths(dir).point(p.name));
}
