import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import { num, obj } from '../../io/json-values.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { runStartFacts, startStory } from '../start-story.js';
import { figure, maxOf, finite, iterationX, markerLayers, skipped, startMarkers, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'drift';
const TITLE = 'Feature drift D(t; Δt)';
export const DRIFT_FIGURE_COLUMNS = ['run', 'iteration', 'gap', 'mean', 'median', 'p90', 'n'];

/**
 * Figure 1: mean drift of the probe set against iteration, one line per gap, log y (drift spans
 * orders of magnitude between warm-up and slow drift), the XBM start marked; one panel per run.
 */
export function driftFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const withDrift = input.runs.filter((r) => r.drift && r.drift.length > 0);
  const warnings = input.runs.filter((r) => !withDrift.includes(r)).map((r) => reportMessages.missingDrift(r.key, r.dir));
  const notes: string[] = [];
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

  const size = panelSize(ctx.theme, 'single');
  const markers = startMarkers(withDrift, { lastIteration: maxOf(rows, 'iteration'), width: size.width, fontSize: ctx.theme.fontSize });
  const thresholds = driftThresholds(withDrift);
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
      ...markerLayers(ctx, markers, run, false),
      ...(thresholds.some((t) => t.run === run) ? thresholdLayers(ctx, run, thresholds.some((t) => t.run === run && t.iteration !== undefined)) : []),
    ],
  });
  const keys = withDrift.map((r) => r.key);
  const body: Spec =
    keys.length === 1 ? panel(keys[0], false) : { vconcat: keys.map((k) => panel(k, true)), resolve: { scale: { x: 'shared', y: 'shared', color: 'shared' } } };
  const title = keys.length === 1 ? `${TITLE}: ${keys[0]}` : TITLE;
  return figure(ID, TITLE, 'single', rows, DRIFT_FIGURE_COLUMNS, topLevel(ctx, title, { table: rows, markers, thresholds }, body), notes, warnings);
}

/** Policies whose threshold is ratio x a drift.csv column measured per snapshot: drawn as a curve. */
const CURVE_THRESHOLDS: Readonly<Record<string, { column: 'scatter_within' | 'probe_spread'; name: string }>> = {
  scatter: { column: 'scatter_within', name: 'W(t)' },
  trial: { column: 'probe_spread', name: 'P(t)' },
};

/**
 * The threshold of the policy that chose the start, drawn in the panel of the run whose drift it
 * read: staleness compares D(t; S) with a constant (a rule); scatter with ratio x W(t), the probe's
 * within-class scatter, and trial with ratio x P(t), the probe's spread (curves, from drift.csv);
 * plateau compares relative changes, not drift, so it has no line here. Without such a policy, the budget the trainer's
 * guard watched online (run.json `xbm.threshold`), labelled as that.
 */
function driftThresholds(runs: FigureInput['runs']): Row[] {
  const out: Row[] = [];
  for (const r of runs) {
    const story = startStory(runStartFacts(r));
    const d = story.readOn === null ? story.decision : undefined;
    const ev = obj(d?.evidence);
    const gap = num(ev?.gap);
    const at = gap !== undefined ? `, Δt = ${gap}` : '';
    if (d?.policy === 'staleness' && (num(ev?.threshold) ?? 0) > 0) {
      out.push({ run: r.key, value: num(ev!.threshold)!, label: `staleness threshold${at}` });
    } else if (d && d.policy in CURVE_THRESHOLDS && (num(ev?.threshold) ?? 0) > 0) {
      const { column, name } = CURVE_THRESHOLDS[d.policy];
      const ratio = num(ev!.threshold)!;
      const label = `${d.policy} threshold ${ratio === 1 ? '' : `${ratio} × `}${name}`;
      const scale = new Map<number, number>();
      for (const row of r.drift ?? []) {
        const v = row[column];
        if (finite(v) && v > 0) scale.set(row.iteration, v);
      }
      for (const [iteration, w] of [...scale].sort((a, b) => a[0] - b[0])) out.push({ run: r.key, iteration, value: ratio * w, label });
    } else if (d === undefined && r.xbm.threshold !== undefined && r.xbm.threshold > 0) {
      out.push({ run: r.key, value: r.xbm.threshold, label: `guard budget${r.xbm.span ? `, Δt = ${r.xbm.span}` : ''}` });
    }
  }
  return out;
}

function thresholdLayers(ctx: FigureContext, run: string, curve: boolean): Spec[] {
  const transform = [{ filter: { field: 'run', equal: run } }];
  const style = { strokeDash: [2, 2], color: '#666666' };
  // A curve (scatter's W(t)) is labelled at its last point, a rule at the right edge.
  const labelAt = curve ? { x: iterationX(), y: { field: 'value', type: 'quantitative' } } : { x: { value: 'width' }, y: { field: 'value', type: 'quantitative' } };
  return [
    curve
      ? { data: { name: 'thresholds' }, transform, mark: { type: 'line', clip: true, ...style }, encoding: { x: iterationX(), y: { field: 'value', type: 'quantitative' } } }
      : { data: { name: 'thresholds' }, transform, mark: { type: 'rule', ...style }, encoding: { y: { field: 'value', type: 'quantitative' } } },
    {
      data: { name: 'thresholds' },
      transform: curve ? [...transform, { window: [{ op: 'row_number', as: 'k' }], sort: [{ field: 'iteration', order: 'descending' }] }, { filter: 'datum.k === 1' }] : transform,
      mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, color: '#666666', fontSize: ctx.theme.fontSize },
      encoding: { ...labelAt, text: { field: 'label', type: 'nominal' } },
    },
  ];
}
