import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import {
  figure,
  maxOf,
  finite,
  iterationX,
  markerLayers,
  movingAverage,
  runColor,
  skipped,
  startMarkers,
  thin,
  topLevel,
  type FigureContext,
  type Spec,
} from './common.js';

const ID = 'losses';
const TITLE = 'Batch loss and memory loss';

/**
 * Figure 3: batch loss (solid) and memory loss (dashed) per run. The memory loss is drawn only
 * while XBM is active (it is 0 otherwise). A symlog y axis keeps a collapse (loss > 1000) and a
 * healthy run (loss < 1) readable on one plot. With smoothing, raw values stay as a faint line.
 */
export function lossesFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  const runs = input.runs.filter((r) => r.metrics && r.metrics.length > 0);
  for (const r of runs) {
    const ms = r.metrics!;
    const series = [
      { name: 'batch', src: ms.filter((m) => finite(m.batch_loss)), value: (m: (typeof ms)[number]) => m.batch_loss },
      { name: 'memory', src: ms.filter((m) => Number(m.xbm_active) === 1 && finite(m.memory_loss)), value: (m: (typeof ms)[number]) => m.memory_loss },
    ];
    for (const s of series) {
      const values = s.src.map(s.value);
      const smoothed = movingAverage(values, ctx.smooth);
      const full = s.src.map((m, i) => ({
        run: r.key,
        iteration: m.iteration,
        series: s.name,
        value: values[i],
        ...(ctx.smooth > 1 ? { smoothed: smoothed[i] } : {}),
      }));
      rows.push(...thin(full, ctx.maxPoints));
    }
  }
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noMetrics);

  const size = panelSize(ctx.theme, 'single');
  const enc = (field: string): Spec => ({
    x: iterationX(),
    y: { field, type: 'quantitative', title: ctx.smooth > 1 ? 'loss, smoothed' : 'loss', scale: { type: 'symlog' } },
    color: runColor(ctx, rows),
    strokeDash: { field: 'series', type: 'nominal', title: 'loss', scale: { domain: ['batch', 'memory'], range: [[1, 0], [5, 3]] } },
  });
  const lines: Spec[] =
    ctx.smooth > 1
      ? [
          { data: { name: 'table' }, mark: { type: 'line', opacity: 0.25, strokeWidth: 1 }, encoding: enc('value') },
          { data: { name: 'table' }, mark: { type: 'line' }, encoding: enc('smoothed') },
        ]
      : [{ data: { name: 'table' }, mark: { type: 'line' }, encoding: enc('value') }];
  const markers = startMarkers(runs, { lastIteration: maxOf(rows, 'iteration'), width: size.width, fontSize: ctx.theme.fontSize });
  const spec = topLevel(ctx, TITLE, { table: rows, markers }, {
    width: size.width,
    height: size.height,
    layer: [...lines, ...markerLayers(ctx, markers, undefined, true, rows)],
  });
  const columns = ['run', 'iteration', 'series', 'value', ...(ctx.smooth > 1 ? ['smoothed'] : [])];
  const notes = [
    'Solid: batch-vs-batch loss; dashed: batch-vs-memory loss (drawn while XBM is active). Symmetric-log y axis.',
    ...(ctx.smooth > 1 ? [`Smoothed with a trailing moving average of ${ctx.smooth} logged iterations; the faint lines are the raw values.`] : []),
  ];
  return figure(ID, TITLE, 'single', rows, columns, spec, notes);
}
