import type { MemoryStalenessRow } from '../../io/formats/memory-staleness.js';
import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, iterationX, skipped, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'memory-staleness';
const TITLE = 'Staleness inside the loss, by entry age';
export const MEMORY_STALENESS_FIGURE_COLUMNS = ['run', 'iteration', 'age_bin', 'panel', 'value', 'count'];
/** Windows per run: the per-step rows are pooled into this many spans of training time at most. */
const WINDOWS = 40;

/**
 * From memory-staleness.csv, one row of panels per run: left, the true drift ||f_t(x) - m_x||^2 of
 * the batch samples that came back while an older copy was stored, by that copy's age (pooled over
 * the returned samples of each window); right, the share of the memory loss's active pairs that
 * come from rows of each age (stacked, summing to 1 where the loss had active pairs).
 */
export function memoryStalenessFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows: Row[] = [];
  for (const r of input.runs) if (r.memoryStaleness?.length) rows.push(...pooled(r.key, r.memoryStaleness));
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noMemoryStaleness);
  const size = panelSize(ctx.theme, 'double', 2);
  const ageColor: Spec = { field: 'age_bin', type: 'ordinal', title: 'entry age ≥', scale: { scheme: 'viridis' }, sort: 'ascending' };
  const row: Spec = { field: 'run', type: 'nominal', title: null, sort: ctx.runDomain, header: { labelFontSize: ctx.theme.fontSize } };
  const panel = (name: string, title: string, mark: Spec, y: Spec): Spec => ({
    title: { text: title, fontSize: ctx.theme.fontSize },
    width: size.width,
    height: Math.round(size.height * 0.7),
    data: { name: 'table' },
    transform: [{ filter: { field: 'panel', equal: name } }],
    mark,
    encoding: { x: iterationX(), y: { field: 'value', type: 'quantitative', ...y }, color: ageColor, row },
  });
  const body: Spec = {
    hconcat: [
      panel('drift', 'true drift of returned samples', { type: 'line', point: { size: ctx.theme.name === 'paper' ? 8 : 14 } }, { title: '‖f_t(x) − m_x‖²', scale: { type: 'log' }, axis: { format: '~g' } }),
      panel('active', 'share of active memory pairs', { type: 'area' }, { title: 'share', stack: 'zero', scale: { domain: [0, 1] } }),
    ],
    resolve: { scale: { color: 'shared' } },
  };
  const notes = [
    'Left: squared distance between a batch sample\'s fresh embedding and its copy still in the memory, by the copy\'s age (bins of powers of two: 1, 2-3, 4-7, ...), pooled over each window of training. No extra forward pass: only samples that came back are measured.',
    'Right: where the memory loss\'s gradient comes from: the share of its active pairs (non-zero gradient) whose memory row has each age; age 0 is the batch just enqueued.',
  ];
  return figure(ID, TITLE, 'double', rows, MEMORY_STALENESS_FIGURE_COLUMNS, topLevel(ctx, TITLE, { table: rows }, body), notes);
}

/** One run's per-step rows pooled into at most WINDOWS spans: drift weighted by returned samples, active share of the window's active pairs. */
function pooled(run: string, input: readonly MemoryStalenessRow[]): Row[] {
  const first = input[0].iteration;
  const last = input.at(-1)!.iteration;
  const width = Math.max(1, Math.ceil((last - first + 1) / WINDOWS));
  const windows = new Map<number, Map<number, { returned: number; drift: number; active: number }>>();
  for (const x of input) {
    const w = first + Math.floor((x.iteration - first) / width) * width + width - 1;
    const bins = windows.get(w) ?? new Map();
    windows.set(w, bins);
    const b = bins.get(x.age_bin) ?? { returned: 0, drift: 0, active: 0 };
    bins.set(x.age_bin, b);
    if (x.returned > 0 && Number.isFinite(x.mean_sq_drift)) {
      b.returned += x.returned;
      b.drift += x.returned * x.mean_sq_drift;
    }
    if (Number.isFinite(x.active_pairs)) b.active += x.active_pairs;
  }
  const out: Row[] = [];
  for (const [w, bins] of [...windows].sort((a, b) => a[0] - b[0])) {
    const iteration = Math.min(w, last);
    const active = [...bins.values()].reduce((a, b) => a + b.active, 0);
    for (const [age, b] of [...bins].sort((p, q) => p[0] - q[0])) {
      // Log axis: an exactly unchanged copy (0) has nothing to draw.
      if (b.returned > 0 && b.drift > 0) out.push({ run, iteration, age_bin: age, panel: 'drift', value: b.drift / b.returned, count: b.returned });
      if (active > 0) out.push({ run, iteration, age_bin: age, panel: 'active', value: b.active / active, count: b.active });
    }
  }
  return out;
}
