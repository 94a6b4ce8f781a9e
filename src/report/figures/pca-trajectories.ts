import { representationMessages as msg } from '../../messages/representation.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row, RunTables } from '../types.js';
import { figure, finite, skipped, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'pca-trajectories';
const TITLE = 'Probe trajectories on fixed PCA axes';
export const PCA_TRAJECTORY_COLUMNS = ['run', 'iteration', 'sample', 'class', 'pc1', 'pc2', 'marker'];
/** Panels drawn at most: one per run. */
export const MAX_TRAJECTORY_RUNS = 4;
const MARKERS = ['first snapshot', 'XBM start', 'last snapshot'];

/** Which snapshot the axes come from, in words (the panel's subtitle). */
export function referenceText(r: RunTables): string {
  const ref = r.representation!.trajectories!.reference;
  if (ref.rule === 'before-start') return msg.referenceBeforeStart(ref.iteration, r.xbm.start as number);
  const why = finite(r.xbm.start) ? `no snapshot before the XBM start at ${r.xbm.start}` : 'XBM never started';
  return msg.referenceLast(ref.iteration, why);
}

/**
 * A subset of probe samples (5 from each of up to 8 classes) through every snapshot, on the two
 * principal axes of one reference snapshot, so positions at different iterations compare; one
 * panel per run. Markers: the first and last snapshots and the first snapshot at or after the
 * XBM start.
 */
export function pcaTrajectoryFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const withSnapshots = input.runs.filter((r) => r.representation);
  if (withSnapshots.length === 0) return skipped(ID, TITLE, msg.noSnapshots);
  const warnings = withSnapshots.flatMap((r) => (r.representation!.warning ? [r.representation!.warning] : []));
  const drawable = withSnapshots.filter((r) => r.representation!.trajectories);
  if (drawable.length === 0) return skipped(ID, TITLE, warnings[0] ?? msg.oneSnapshot);
  const shown = drawable.slice(0, MAX_TRAJECTORY_RUNS);
  if (shown.length < drawable.length) warnings.push(msg.runsLeftOut(shown.length, drawable.length));

  const rows: Row[] = [];
  for (const r of shown) {
    const t = r.representation!.trajectories!;
    const first = t.iterations[0];
    const last = t.iterations.at(-1)!;
    const startSnapshot = finite(r.xbm.start) ? t.iterations.find((i) => i >= (r.xbm.start as number)) : undefined;
    for (const p of t.points) {
      const marker = p.iteration === startSnapshot ? 'XBM start' : p.iteration === first ? 'first snapshot' : p.iteration === last ? 'last snapshot' : '';
      rows.push({ run: r.key, iteration: p.iteration, sample: p.sample, class: String(p.label), pc1: p.pc1, pc2: p.pc2, marker });
    }
  }
  const classes = [...new Set(rows.map((r) => Number(r.class)))].sort((a, b) => a - b).map(String);
  const size = panelSize(ctx.theme, 'single');
  const side = Math.min(size.width, Math.round(size.height * 1.4));
  const colour: Spec = { field: 'class', type: 'nominal', title: 'class', scale: { domain: classes, scheme: 'category10' } };
  const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '?');
  const panel = (r: RunTables): Spec => {
    const ref = r.representation!.trajectories!.reference;
    const axis = (k: 1 | 2): Spec => ({ field: `pc${k}`, type: 'quantitative', title: `PC${k} (${pct(ref.explained[k - 1])} of variance at ${ref.iteration})`, scale: { zero: false } });
    const filter = { filter: { field: 'run', equal: r.key } };
    return {
      // The subtitle says which snapshot the axes come from. A panel's title replaces the
      // figure's, so a lone panel carries the figure's title (the run's name in the paper theme).
      title: {
        text: shown.length > 1 || ctx.theme.name === 'paper' ? r.key : `${TITLE}: ${r.key}`,
        subtitle: referenceText(r),
        fontSize: shown.length > 1 ? ctx.theme.fontSize : ctx.theme.titleFontSize,
        subtitleFontSize: ctx.theme.fontSize - 1,
      },
      width: side,
      height: side,
      layer: [
        {
          data: { name: 'table' },
          transform: [filter],
          mark: { type: 'line', strokeWidth: 1, opacity: 0.55 },
          encoding: { x: axis(1), y: axis(2), color: colour, detail: { field: 'sample', type: 'nominal' }, order: { field: 'iteration', type: 'quantitative' } },
        },
        {
          data: { name: 'table' },
          transform: [filter, { filter: "datum.marker !== ''" }],
          mark: { type: 'point', filled: true, stroke: '#222222', strokeWidth: 0.8, size: ctx.theme.name === 'paper' ? 22 : 48 },
          encoding: {
            x: axis(1),
            y: axis(2),
            color: colour,
            shape: { field: 'marker', type: 'nominal', title: 'snapshot', scale: { domain: MARKERS, range: ['circle', 'diamond', 'square'] } },
            tooltip: [{ field: 'iteration' }, { field: 'sample' }, { field: 'class' }],
          },
        },
      ],
    };
  };
  const body: Spec = shown.length === 1 ? panel(shown[0]) : { vconcat: shown.map(panel), resolve: { scale: { color: 'shared', shape: 'shared' } } };
  const notes = [
    'Every snapshot is projected on the same two axes: the principal components of one reference snapshot (the last before the XBM start when the run has one, else the last snapshot), centred on its mean. A sample\'s line follows it through the snapshots in iteration order.',
    'Long lines in one direction are drift that a memory filled earlier cannot follow; clusters that keep their shape while moving are drift that leaves the geometry intact (see the CKA figure).',
    ...shown.map((r) => `${r.key}: ${referenceText(r)}.`),
  ];
  return figure(ID, TITLE, 'single', rows, PCA_TRAJECTORY_COLUMNS, topLevel(ctx, shown.length === 1 ? `${TITLE}: ${shown[0].key}` : TITLE, { table: rows }, body), notes, warnings);
}
