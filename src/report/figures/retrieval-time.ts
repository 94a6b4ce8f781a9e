import { reportMessages } from '../../messages/report.js';
import { testRows } from '../../io/tables.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row, RunTables } from '../types.js';
import { figure, finite, runColor, skipped, topLevel, type FigureContext } from './common.js';

const ID = 'retrieval-time';
const TITLE = 'Test retrieval against training time';
export const RETRIEVAL_TIME_FIGURE_COLUMNS = ['run', 'iteration', 'seconds', 'metric', 'value'];

/**
 * Training seconds after each iteration: the steps (metrics.csv ms_per_iteration, data included)
 * plus, for smart mining, every index refresh so far (index.csv: embedding the split and building
 * the index), the method's price. Evaluation and snapshots are instruments, not training: left out.
 */
export function trainingSeconds(run: RunTables): Map<number, number> {
  const refreshMs = new Map<number, number>();
  for (const x of run.index ?? []) if (finite(x.ms_embed) && finite(x.ms_build)) refreshMs.set(x.iteration, x.ms_embed + x.ms_build);
  const out = new Map<number, number>([[0, 0]]);
  let ms = 0;
  for (const m of run.metrics ?? []) {
    if (finite(m.ms_per_iteration)) ms += m.ms_per_iteration;
    ms += refreshMs.get(m.iteration) ?? 0;
    out.set(m.iteration, ms / 1000);
  }
  return out;
}

/** R@1 (solid) and MAP@R (dashed) against training seconds, colour = run: what each method's compute buys. */
export function retrievalTimeFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  for (const r of input.runs) {
    if (!r.eval || r.eval.length === 0 || !r.metrics || r.metrics.length === 0) continue;
    const seconds = trainingSeconds(r);
    for (const e of testRows(r.eval)) {
      const s = seconds.get(e.iteration);
      if (s === undefined) continue;
      if (finite(e.recall_at_1)) rows.push({ run: r.key, iteration: e.iteration, seconds: s, metric: 'R@1', value: e.recall_at_1 });
      if (finite(e.map_at_r)) rows.push({ run: r.key, iteration: e.iteration, seconds: s, metric: 'MAP@R', value: e.map_at_r });
    }
  }
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noTimedEval);
  const size = panelSize(ctx.theme, 'single');
  const spec = topLevel(ctx, TITLE, { table: rows }, {
    width: size.width,
    height: size.height,
    data: { name: 'table' },
    mark: { type: 'line', point: { size: ctx.theme.name === 'paper' ? 10 : 24 } },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'training time (s, refreshes included)' },
      y: { field: 'value', type: 'quantitative', title: 'test retrieval', scale: { zero: true } },
      color: runColor(ctx, rows),
      strokeDash: { field: 'metric', type: 'nominal', title: 'metric', scale: { domain: ['R@1', 'MAP@R'], range: [[1, 0], [5, 3]] } },
      shape: { field: 'metric', type: 'nominal', scale: { domain: ['R@1', 'MAP@R'], range: ['circle', 'square'] } },
    },
  });
  const notes = ['x: seconds of training steps (data loading included) plus, for smart mining, the index refreshes (embedding the training split, building the index); evaluation and snapshots are not counted.'];
  return figure(ID, TITLE, 'single', rows, RETRIEVAL_TIME_FIGURE_COLUMNS, spec, notes);
}
