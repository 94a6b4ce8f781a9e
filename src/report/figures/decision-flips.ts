import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, runColor, skipped, topLevel, type FigureContext } from './common.js';

const ID = 'decision-flips';
const TITLE = 'Mining decisions flipped by stale memory features';
export const DECISION_FLIPS_FIGURE_COLUMNS = ['run', 'iteration', 'flip_share', 'flips', 'flip_pairs', 'active_stale', 'active_fresh'];

/**
 * From staleness.csv's flip columns (--staleness-every): the share of (query, memory row) pairs
 * whose loss decision, active or not, differs between the stored feature and a fresh embedding of
 * the same sample. The drift figures say how far the memory moved; this says how much of the
 * loss's mining that movement changes.
 */
export function decisionFlipsFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  for (const r of input.runs) {
    for (const s of r.staleness ?? []) {
      if (!finite(s.flip_share)) continue;
      rows.push({ run: r.key, iteration: s.iteration, flip_share: s.flip_share, flips: s.flips, flip_pairs: s.flip_pairs, active_stale: s.active_stale, active_fresh: s.active_fresh });
    }
  }
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noDecisionFlips);
  const size = panelSize(ctx.theme, 'single', 1);
  const body = {
    width: size.width,
    height: size.height,
    data: { name: 'table' },
    mark: { type: 'line', point: true },
    encoding: {
      x: iterationX(),
      y: { field: 'flip_share', type: 'quantitative', title: 'share of pairs flipped', axis: { format: '.1%' } },
      color: runColor(ctx, rows),
      tooltip: DECISION_FLIPS_FIGURE_COLUMNS.map((field) => ({ field })),
    },
  };
  const notes = [
    'Queries: the newest batch-size memory entries, freshly embedded. For each query and memory row (its own sample left out), the loss decides whether the pair is active (non-zero gradient, its mining included) once with the stored feature and once with a fresh embedding of the same sample; a flip is a pair active with one and not the other.',
  ];
  return figure(ID, TITLE, 'single', rows, DECISION_FLIPS_FIGURE_COLUMNS, topLevel(ctx, TITLE, { table: rows }, body), notes);
}
