import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, markerLayers, skipped, startMarkers, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'drift';
const TITLE = 'Feature drift D(t; Δt)';
export const DRIFT_FIGURE_COLUMNS = ['run', 'iteration', 'gap', 'mean', 'median', 'p90', 'n'];

/**
 * Figure 1: mean drift of the probe set against iteration, one line per gap, log y (drift spans
 * orders of magnitude between warm-up and slow drift), the XBM start marked; one panel per run.
 */
export function driftFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const withDrift = input.runs.filter((r) => r.drift && r.drift.length > 0);
  const notes = input.runs.filter((r) => !withDrift.includes(r)).map((r) => reportMessages.missingDrift(r.key, r.dir));
  if (withDrift.length === 0) return skipped(ID, TITLE, reportMessages.noDrift);

  const rows: Row[] = [];
  for (const r of withDrift) {
    // Log scale: zero drift (gap 0, or a frozen model) cannot be drawn and carries no information.
    for (const d of r.drift!)
      if (finite(d.mean) && d.mean > 0 && finite(d.iteration) && finite(d.gap))
        rows.push({ run: r.key, iteration: d.iteration, gap: d.gap, mean: d.mean, median: d.median, p90: d.p90, n: d.n });
    const b = r.batchSize;
    const m = r.xbm.size;
    if (finite(b) && finite(m) && b > 0 && m > 0 && r.xbm.start !== null)
      notes.push(`${r.key}: a full memory spans S = ceil(M/B) = ${Math.ceil(m / b)} iterations; D(t; S) is the error of its oldest entries.`);
  }
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noDrift);

  const markers = startMarkers(withDrift);
  const size = panelSize(ctx.theme, 'single');
  const gaps = [...new Set(rows.map((r) => r.gap as number))].sort((a, b) => a - b);
  const panel = (run: string, title: boolean): Spec => ({
    ...(title ? { title: { text: run, fontSize: ctx.theme.fontSize } } : {}),
    width: size.width,
    height: size.height,
    layer: [
      {
        data: { name: 'table' },
        transform: [{ filter: { field: 'run', equal: run } }],
        mark: { type: 'line', clip: true },
        encoding: {
          x: iterationX(),
          y: { field: 'mean', type: 'quantitative', title: 'D(t; Δt), probe mean', scale: { type: 'log' }, axis: { format: '~g' } },
          color: {
            field: 'gap',
            type: 'ordinal',
            title: 'gap Δt',
            scale: { domain: gaps, scheme: { name: 'viridis', extent: [0, 0.85] } },
          },
        },
      },
      ...markerLayers(ctx, run, false),
    ],
  });
  const keys = withDrift.map((r) => r.key);
  const body: Spec =
    keys.length === 1 ? panel(keys[0], false) : { vconcat: keys.map((k) => panel(k, true)), resolve: { scale: { x: 'shared', y: 'shared', color: 'shared' } } };
  const title = keys.length === 1 ? `${TITLE}: ${keys[0]}` : TITLE;
  return figure(ID, TITLE, 'single', rows, DRIFT_FIGURE_COLUMNS, topLevel(ctx, title, { table: rows, markers }, body), notes);
}
