import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, runColor, skipped, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'smart-index';
const TITLE = 'Smart mining: staleness, cost and recall of the index';
export const SMART_INDEX_FIGURE_COLUMNS = ['run', 'iteration', 'panel', 'series', 'value'];

/**
 * One row of panels from index.csv (runs with --batch-mining smart): the index's staleness when
 * it was replaced (mean and p90 of ||stored - fresh||^2 over the training split, the statistic of
 * the memory's staleness.csv), the cost of each refresh (embedding the split, building the index),
 * and its recall@k against exact search.
 */
export function smartIndexFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  const add = (run: string, iteration: number, panel: string, series: string, value: unknown) => {
    if (finite(value) && (panel !== 'staleness' || value > 0)) rows.push({ run, iteration, panel, series, value });
  };
  for (const r of input.runs)
    for (const x of r.index ?? []) {
      add(r.key, x.iteration, 'staleness', 'mean', x.drift_mean);
      add(r.key, x.iteration, 'staleness', 'p90', x.drift_p90);
      add(r.key, x.iteration, 'cost', 'embed', x.ms_embed);
      add(r.key, x.iteration, 'cost', 'build', x.ms_build);
      add(r.key, x.iteration, 'recall', `recall@${x.recall_k}`, x.recall);
    }
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noIndex);
  const size = panelSize(ctx.theme, 'double', 3);
  const panel = (name: string, title: string, y: Spec, series: string[]): Spec => ({
    title: { text: title, fontSize: ctx.theme.fontSize },
    width: size.width,
    height: size.height,
    data: { name: 'table' },
    transform: [{ filter: { field: 'panel', equal: name } }],
    mark: { type: 'line', point: { size: ctx.theme.name === 'paper' ? 8 : 18 } },
    encoding: {
      x: iterationX(),
      y: { field: 'value', type: 'quantitative', ...y },
      color: runColor(ctx, rows),
      strokeDash: { field: 'series', type: 'nominal', title: name, scale: { domain: series, range: series.map((_, i) => (i === 0 ? [1, 0] : [5, 3])) } },
    },
  });
  const recallSeries = [...new Set(rows.filter((x) => x.panel === 'recall').map((x) => String(x.series)))];
  const body: Spec = {
    hconcat: [
      panel('staleness', 'staleness when replaced', { title: '‖stored − fresh‖²', scale: { type: 'log' }, axis: { format: '~g' } }, ['mean', 'p90']),
      panel('cost', 'refresh cost', { title: 'ms per refresh', scale: { zero: true } }, ['embed', 'build']),
      panel('recall', 'recall against exact search', { title: 'recall', scale: { domain: [0, 1] } }, recallSeries.length ? recallSeries : ['recall']),
    ],
    resolve: { scale: { x: 'shared', strokeDash: 'independent' } },
  };
  const notes = [
    'Left: squared distance between the embeddings the index held and fresh ones of the same training images, when the index was replaced (mean and p90 over the split; the same statistic as the memory\'s staleness).',
    'Middle: milliseconds to embed the whole training split and to build the index, at each refresh.',
    'Right: the index\'s recall@k against exact search on a sample of training queries (1 for --index exact).',
  ];
  return figure(ID, TITLE, 'double', rows, SMART_INDEX_FIGURE_COLUMNS, topLevel(ctx, TITLE, { table: rows }, body), notes);
}
