import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, runColor, skipped, thin, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'staleness';
const TITLE = 'Memory staleness';
export const STALENESS_FIGURE_COLUMNS = [
  'run', 'iteration', 'source', 'entries', 'age_min', 'age_mean', 'age_max', 'drift_mean', 'drift_p90',
];

/**
 * Figure 5: how old the memory is (age of entries in iterations, min..max band and mean, from
 * metrics.csv) and, when the trainer logged it, how wrong that makes it (mean and p90 of
 * ||stored - fresh||^2 over the memory, staleness.csv).
 */
export function stalenessFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  for (const r of input.runs) {
    const ages = (r.metrics ?? []).filter((m) => Number(m.memory_fill) > 0 && finite(m.memory_age_mean));
    for (const m of thin(ages, ctx.maxPoints))
      rows.push({
        run: r.key,
        iteration: m.iteration,
        source: 'age',
        entries: m.memory_fill,
        age_min: finite(m.memory_age_min) ? m.memory_age_min : m.memory_age_mean,
        age_mean: m.memory_age_mean,
        age_max: finite(m.memory_age_max) ? m.memory_age_max : m.memory_age_mean,
      });
    // Log scale on the drift panel: a memory that is exactly fresh has nothing to draw.
    for (const s of r.staleness ?? [])
      if (finite(s.drift_mean) && s.drift_mean > 0)
        rows.push({
          run: r.key,
          iteration: s.iteration,
          source: 'drift',
          entries: s.entries,
          age_mean: s.age_mean,
          age_max: s.age_max,
          drift_mean: s.drift_mean,
          drift_p90: finite(s.drift_p90) && s.drift_p90 > 0 ? s.drift_p90 : s.drift_mean,
        });
  }
  const hasAge = rows.some((r) => r.source === 'age');
  const hasDrift = rows.some((r) => r.source === 'drift');
  if (!hasAge && !hasDrift) return skipped(ID, TITLE, reportMessages.noMemory);

  const size = panelSize(ctx.theme, 'double', 2);
  const agePanel: Spec = {
    title: { text: 'age of entries', fontSize: ctx.theme.fontSize },
    width: size.width,
    height: size.height,
    data: { name: 'table' },
    transform: [{ filter: { field: 'source', equal: 'age' } }],
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          x: iterationX(),
          y: { field: 'age_min', type: 'quantitative', title: 'age (iterations)' },
          y2: { field: 'age_max' },
          color: runColor(ctx, rows),
        },
      },
      {
        mark: { type: 'line' },
        encoding: { x: iterationX(), y: { field: 'age_mean', type: 'quantitative' }, color: runColor(ctx, rows) },
      },
    ],
  };
  const driftPanel: Spec = {
    title: { text: 'drift of entries', fontSize: ctx.theme.fontSize },
    width: size.width,
    height: size.height,
    data: { name: 'table' },
    transform: [
      { filter: { field: 'source', equal: 'drift' } },
      { fold: ['drift_mean', 'drift_p90'], as: ['statistic', 'drift'] },
      { calculate: "datum.statistic === 'drift_mean' ? 'mean' : 'p90'", as: 'statistic' },
    ],
    mark: { type: 'line', point: { size: ctx.theme.name === 'paper' ? 8 : 18 } },
    encoding: {
      x: iterationX(),
      y: { field: 'drift', type: 'quantitative', title: '‖stored − fresh‖²', scale: { type: 'log' }, axis: { format: '~g' } },
      color: runColor(ctx, rows),
      strokeDash: { field: 'statistic', type: 'nominal', title: 'over memory', scale: { domain: ['mean', 'p90'], range: [[1, 0], [5, 3]] } },
    },
  };
  const panels = [...(hasAge ? [agePanel] : []), ...(hasDrift ? [driftPanel] : [])];
  // A lone panel takes the figure's title, so its own subtitle goes.
  const body: Spec = panels.length === 1 ? { ...panels[0], title: undefined } : { hconcat: panels, resolve: { scale: { x: 'shared' } } };
  if (body.title === undefined) delete body.title;
  const notes = [
    'Left: age of the memory entries in iterations (band: youngest to oldest, line: mean).',
    ...(hasDrift ? ['Right: squared distance between each stored embedding and the current model\'s embedding of the same image (mean and p90 over the memory).'] : [reportMessages.noStaleness]),
  ];
  return figure(ID, TITLE, 'double', rows, STALENESS_FIGURE_COLUMNS, topLevel(ctx, TITLE, { table: rows }, body), notes);
}
