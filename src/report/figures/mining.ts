import { reportMessages } from '../../messages/report.js';
import type { MetricsRow } from '../../io/tables.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, runColor, skipped, thin, topLevel, type FigureContext } from './common.js';

const ID = 'mining';
const TITLE = 'Mining at work: pairs per anchor';
export const MINING_FIGURE_COLUMNS = ['run', 'iteration', 'kind', 'source', 'pairs', 'per_anchor'];
const KINDS = ['positive', 'negative', 'active'] as const;
const COLUMNS: Record<'batch' | 'memory', Record<(typeof KINDS)[number], keyof MetricsRow>> = {
  batch: { positive: 'batch_pos_pairs', negative: 'batch_neg_pairs', active: 'batch_active_pairs' },
  memory: { positive: 'memory_pos_pairs', negative: 'memory_neg_pairs', active: 'memory_active_pairs' },
};

/**
 * Figure 4: positive, negative and active (loss > 0) pairs per anchor, batch (solid) against
 * memory (dashed). Dividing by the batch size makes runs with different batches comparable; the
 * memory's many extra negatives and its active pairs are what XBM buys.
 */
export function miningFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  const warnings: string[] = [];
  for (const r of input.runs) {
    if (!r.metrics || r.metrics.length === 0) continue;
    const b = r.batchSize;
    if (!finite(b) || b <= 0) {
      warnings.push(reportMessages.noBatchSize(r.key));
      continue;
    }
    for (const source of ['batch', 'memory'] as const) {
      const src = r.metrics.filter((m) => (source === 'batch' || Number(m.xbm_active) === 1) && finite(m[COLUMNS[source].positive]));
      for (const m of thin(src, ctx.maxPoints))
        for (const kind of KINDS) {
          const pairs = m[COLUMNS[source][kind]];
          // Log scale: zero pairs of a kind (no active pair left) leave a gap rather than a spike.
          if (finite(pairs) && pairs > 0) rows.push({ run: r.key, iteration: m.iteration, kind, source, pairs, per_anchor: pairs / b });
        }
    }
  }
  if (rows.length === 0) return skipped(ID, TITLE, warnings.length ? warnings.join(' ') : reportMessages.noMiningCounts);

  const size = panelSize(ctx.theme, 'double', 3);
  const spec = topLevel(ctx, TITLE, { table: rows }, {
    data: { name: 'table' },
    facet: { column: { field: 'kind', type: 'nominal', sort: [...KINDS], title: null } },
    spec: {
      width: size.width,
      height: size.height,
      mark: { type: 'line', clip: true },
      encoding: {
        x: iterationX(),
        y: { field: 'per_anchor', type: 'quantitative', title: 'pairs per anchor', scale: { type: 'log' }, axis: { format: '~g' } },
        color: runColor(ctx, rows),
        strokeDash: { field: 'source', type: 'nominal', title: 'against', scale: { domain: ['batch', 'memory'], range: [[1, 0], [5, 3]] } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  });
  return figure(ID, TITLE, 'double', rows, MINING_FIGURE_COLUMNS, spec, [], warnings);
}
