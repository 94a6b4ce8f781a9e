import { reportMessages } from '../../messages/report.js';
import { testRows } from '../../io/tables.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, maxOf, finite, iterationX, markerLayers, runColor, skipped, startMarkers, topLevel, type FigureContext } from './common.js';

const ID = 'retrieval';
const TITLE = 'Test retrieval: R@1 and MAP@R';
export const RETRIEVAL_FIGURE_COLUMNS = ['run', 'iteration', 'metric', 'value'];
const METRICS = [
  ['recall_at_1', 'R@1'],
  ['map_at_r', 'MAP@R'],
] as const;

/** Figure 2: R@1 (solid) and MAP@R (dashed) on the test classes, colour = run, XBM starts marked. */
export function retrievalFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  const runs = input.runs.filter((r) => r.eval && r.eval.length > 0);
  for (const r of runs)
    for (const e of testRows(r.eval!))
      for (const [col, metric] of METRICS)
        if (finite(e[col]) && finite(e.iteration)) rows.push({ run: r.key, iteration: e.iteration, metric, value: e[col] });
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noEval);

  const size = panelSize(ctx.theme, 'single');
  const markers = startMarkers(runs, { lastIteration: maxOf(rows, 'iteration'), width: size.width, fontSize: ctx.theme.fontSize });
  const spec = topLevel(ctx, TITLE, { table: rows, markers }, {
    width: size.width,
    height: size.height,
    layer: [
      {
        data: { name: 'table' },
        mark: { type: 'line', point: { size: ctx.theme.name === 'paper' ? 10 : 24 } },
        encoding: {
          x: iterationX(),
          y: { field: 'value', type: 'quantitative', title: 'test retrieval', scale: { zero: true } },
          color: runColor(ctx, rows),
          strokeDash: { field: 'metric', type: 'nominal', title: 'metric', scale: { domain: ['R@1', 'MAP@R'], range: [[1, 0], [5, 3]] } },
          shape: { field: 'metric', type: 'nominal', scale: { domain: ['R@1', 'MAP@R'], range: ['circle', 'square'] } },
        },
      },
      ...markerLayers(ctx, markers, undefined, true, rows),
    ],
  });
  return figure(ID, TITLE, 'single', rows, RETRIEVAL_FIGURE_COLUMNS, spec);
}
