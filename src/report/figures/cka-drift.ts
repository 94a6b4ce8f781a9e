import { representationMessages as msg } from '../../messages/representation.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, iterationX, markerLayers, maxOf, skipped, startMarkers, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'cka-drift';
const TITLE = 'Linear CKA and drift between snapshots';
export const CKA_FIGURE_COLUMNS = ['run', 'iteration', 'gap', 'cka', 'drift'];
/** Runs drawn at most: each takes two panels. */
export const MAX_CKA_RUNS = 4;

/**
 * Per run, two panels on one iteration axis: linear CKA(f_t, f_(t - gap)) above and the drift
 * D(t; gap) of the same snapshot pairs below, one line per gap, the XBM start marked. High drift
 * with CKA near 1: the features moved (a rotation or shift) but kept their geometry; CKA falling:
 * the geometry itself changed.
 */
export function ckaDriftFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const withSnapshots = input.runs.filter((r) => r.representation);
  if (withSnapshots.length === 0) return skipped(ID, TITLE, msg.noSnapshots);
  const warnings = withSnapshots.flatMap((r) => (r.representation!.warning ? [r.representation!.warning] : []));
  const drawable = withSnapshots.filter((r) => r.representation!.cka.length > 0);
  if (drawable.length === 0) return skipped(ID, TITLE, warnings[0] ?? msg.noCkaPairs);
  const shown = drawable.slice(0, MAX_CKA_RUNS);
  if (shown.length < drawable.length) warnings.push(msg.runsLeftOut(shown.length, drawable.length));

  const rows: Row[] = shown.flatMap((r) => r.representation!.cka.map((c) => ({ run: r.key, iteration: c.iteration, gap: c.gap, cka: c.cka, drift: c.drift })));
  const size = panelSize(ctx.theme, 'single');
  const markers = startMarkers(shown, { lastIteration: maxOf(rows, 'iteration'), width: size.width, fontSize: ctx.theme.fontSize });
  const gaps = [...new Set(rows.map((r) => r.gap as number))].sort((a, b) => a - b);
  const colour: Spec = { field: 'gap', type: 'ordinal', title: 'gap Δt', scale: { domain: gaps, scheme: { name: 'viridis', extent: [0, 0.85] } } };
  const height = Math.round(size.height * 0.6);
  const lowest = Math.min(...rows.map((r) => r.cka as number).filter(finite));
  const panel = (run: string, what: 'cka' | 'drift', title?: string): Spec => ({
    ...(title ? { title: { text: title, fontSize: ctx.theme.fontSize } } : {}),
    width: size.width,
    height,
    layer: [
      {
        data: { name: 'table' },
        // Log scale below: a zero drift (a frozen model) cannot be drawn.
        transform: [{ filter: { field: 'run', equal: run } }, { filter: what === 'cka' ? 'isFinite(datum.cka)' : 'isFinite(datum.drift) && datum.drift > 0' }],
        mark: { type: 'line', point: { size: ctx.theme.name === 'paper' ? 6 : 12 }, clip: true },
        encoding: {
          x: iterationX(),
          y:
            what === 'cka'
              ? { field: 'cka', type: 'quantitative', title: 'CKA(f_t, f_t−Δt)', scale: { domain: [Math.min(0.9, Math.floor(lowest * 20) / 20), 1] } }
              : { field: 'drift', type: 'quantitative', title: 'D(t; Δt)', scale: { type: 'log' }, axis: { format: '~g' } },
          color: colour,
        },
      },
      ...markerLayers(ctx, markers, run, false),
    ],
  });
  const body: Spec = {
    vconcat: shown.flatMap((r) => [panel(r.key, 'cka', shown.length > 1 ? r.key : undefined), panel(r.key, 'drift')]),
    resolve: { scale: { x: 'shared', color: 'shared' } },
  };
  const notes = [
    'Linear CKA (Kornblith et al. 2019) of the probe embeddings at t and t − Δt: ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) after centring the columns. It is 1 when the two differ only by a rotation, a shift or a uniform scale, and falls as the geometry of the probe set changes.',
    'Below, D(t; Δt), the mean squared drift of the same snapshot pairs. Drift high with CKA near 1: the features moved but kept their geometry (a memory could be corrected by one transform); CKA low: the geometry changed.',
  ];
  const title = shown.length === 1 ? `${TITLE}: ${shown[0].key}` : TITLE;
  return figure(ID, TITLE, 'single', rows, CKA_FIGURE_COLUMNS, topLevel(ctx, title, { table: rows, markers }, body), notes, warnings);
}
