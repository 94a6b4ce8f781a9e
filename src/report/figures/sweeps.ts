import { reportMessages } from '../../messages/report.js';
import { panelSize } from '../theme.js';
import type { SweepPointRow } from '../../io/formats/sweep-table.js';
import type { FigureInput, FigureOutcome, Row } from '../types.js';
import { figure, finite, skipped, topLevel, type FigureContext, type Spec } from './common.js';

export const SWEEP_FIGURE_COLUMNS = [
  'sweep', 'point', 'batch', 'memory', 'xbm', 'recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r',
];
const XBM_COLORS = { domain: ['off', 'on'], range: ['#000000', '#D55E00'] };

function completedRows(input: FigureInput, keep: (p: SweepPointRow) => boolean): { rows: Row[]; left: number } {
  const rows: Row[] = [];
  let left = 0;
  for (const s of input.sweeps)
    for (const p of s.points) {
      if (!keep(p)) continue;
      if (p.status !== 'completed' || !finite(p.recall_at_1)) {
        left++;
        continue;
      }
      rows.push({
        sweep: s.key,
        point: p.point,
        batch: p.batch,
        memory: p.memory,
        xbm: p.xbm,
        recall_at_1: p.recall_at_1,
        recall_at_2: p.recall_at_2,
        recall_at_4: p.recall_at_4,
        recall_at_8: p.recall_at_8,
        map_at_r: p.map_at_r,
      });
    }
  return { rows, left };
}

const distinct = (rows: Row[], field: string) => [...new Set(rows.map((r) => r[field]).filter(finite))].sort((a, b) => a - b);

/** Log axis for sizes that are all positive (batch 16..256, memory 1k..55k); linear otherwise. */
const sizeScale = (values: number[]): Spec =>
  values.every((v) => v > 0) ? { type: 'log', base: 2, nice: false, padding: 8 } : { zero: true };

/** Figure 6a (paper Fig. 1 left): final R@1 against batch size, with and without XBM. */
export function sweepBatchFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const id = 'sweep-batch';
  const title = 'R@1 vs batch size, with and without XBM';
  if (input.sweeps.length === 0) return skipped(id, title, reportMessages.noSweep);
  const { rows, left } = completedRows(input, (p) => finite(p.batch));
  if (rows.length === 0) return skipped(id, title, reportMessages.noSweepBatch);
  const batches = distinct(rows, 'batch');
  const size = panelSize(ctx.theme, 'single');
  const x = { field: 'batch', type: 'quantitative', title: 'batch size', scale: sizeScale(batches), axis: { values: batches, format: 'd' } };
  const color = { field: 'xbm', type: 'nominal', title: 'XBM', scale: XBM_COLORS };
  const spec = topLevel(ctx, title, { table: rows }, {
    data: { name: 'table' },
    width: size.width,
    height: size.height,
    layer: [
      // Mean over repeated points (seeds, other grid keys); the points show the spread.
      { mark: { type: 'line' }, encoding: { x, y: { aggregate: 'mean', field: 'recall_at_1', type: 'quantitative', title: 'final test R@1' }, color, detail: { field: 'sweep' } } },
      { mark: { type: 'point', filled: true }, encoding: { x, y: { field: 'recall_at_1', type: 'quantitative' }, color, tooltip: [{ field: 'point' }, { field: 'recall_at_1', format: '.3f' }] } },
    ],
  });
  return figure(id, title, 'single', rows, SWEEP_FIGURE_COLUMNS, spec, [], left ? [reportMessages.incompletePoints(left)] : []);
}

/** Figure 6b (paper Fig. 1 right): final R@1 against memory size; dashed: the same batch without XBM. */
export function sweepMemoryFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const id = 'sweep-memory';
  const title = 'R@1 vs memory size';
  if (input.sweeps.length === 0) return skipped(id, title, reportMessages.noSweep);
  const { rows: withXbm, left } = completedRows(input, (p) => finite(p.memory) && p.xbm !== 'off');
  // A batch sweep has one memory size everywhere: nothing to plot against.
  if (distinct(withXbm, 'memory').length < 2) return skipped(id, title, reportMessages.noSweepMemory);
  const batches = new Set(withXbm.map((r) => r.batch));
  const baselines = completedRows(input, (p) => p.xbm === 'off' && batches.has(p.batch)).rows;
  const rows = [...withXbm, ...baselines];
  const memories = distinct(withXbm, 'memory');
  const batchValues = [...batches].filter(finite).sort((a, b) => a - b);
  const size = panelSize(ctx.theme, 'single');
  const color =
    batchValues.length > 1
      ? { field: 'batch', type: 'ordinal', title: 'batch', scale: { domain: batchValues, scheme: { name: 'viridis', extent: [0, 0.85] } } }
      : { value: XBM_COLORS.range[1] };
  const x = { field: 'memory', type: 'quantitative', title: `memory size M${batchValues.length === 1 ? ` (batch ${batchValues[0]})` : ''}`, scale: sizeScale(memories), axis: { values: memories, format: ',d' } };
  const y = { field: 'recall_at_1', type: 'quantitative', title: 'final test R@1' };
  const layer: Spec[] = [
    {
      transform: [{ filter: "datum.xbm !== 'off'" }],
      mark: { type: 'line' },
      encoding: { x, y: { ...y, aggregate: 'mean' }, color, detail: { field: 'sweep' } },
    },
    {
      transform: [{ filter: "datum.xbm !== 'off'" }],
      mark: { type: 'point', filled: true },
      encoding: { x, y, color, tooltip: [{ field: 'point' }, { field: 'recall_at_1', format: '.3f' }] },
    },
  ];
  if (baselines.length > 0)
    layer.push({
      transform: [{ filter: "datum.xbm === 'off'" }],
      mark: { type: 'rule', strokeDash: [5, 3] },
      encoding: { y: { ...y, aggregate: 'mean' }, color, detail: { field: 'batch' } },
    });
  const spec = topLevel(ctx, title, { table: rows }, { data: { name: 'table' }, width: size.width, height: size.height, layer });
  const notes = baselines.length ? ['Dashed: the same batch size without XBM.'] : [];
  return figure(id, title, 'single', rows, SWEEP_FIGURE_COLUMNS, spec, notes, left ? [reportMessages.incompletePoints(left)] : []);
}
