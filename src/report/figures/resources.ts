import { reportMessages } from '../../messages/report.js';
import type { FigureInput, FigureOutcome, Row, RunTables } from '../types.js';
import { figure, finite, skipped, topLevel, type FigureContext, type Spec } from './common.js';

const ID = 'resources';
const TITLE = 'Resources: memory, time and the equivalent batch';
export const RESOURCE_COLUMNS = ['run', 'batch', 'memory', 'memory_bytes', 'ms_per_iteration', 'pairs_per_iteration', 'equivalent_batch'];

/**
 * The batch size B' that sees as many pairs per iteration as batch B with a memory of M:
 * B'(B'-1) = B(B-1) + B*M, rounded up to a whole batch.
 */
export function equivalentBatch(b: number, m: number): number {
  const pairs = b * (b - 1) + b * m;
  return Math.ceil((1 + Math.sqrt(1 + 4 * pairs)) / 2 - 1e-9);
}

/** Bytes of the memory: as logged by the trainer, else M x d float32 values. */
function memoryBytes(r: RunTables, m: number): number {
  if (m === 0) return 0;
  let logged = 0;
  for (const x of r.metrics ?? []) if (Number(x.memory_bytes) > logged) logged = Number(x.memory_bytes);
  if (logged > 0) return logged;
  return finite(r.embeddingDim) ? m * r.embeddingDim * 4 : NaN;
}

export function resourceRows(runs: readonly RunTables[]): Row[] {
  const rows: Row[] = [];
  for (const r of runs) {
    const b = r.batchSize;
    if (!finite(b)) continue;
    // A run that never started XBM had no memory to mine, whatever its configured size.
    const m = r.xbm.start === null ? 0 : (r.xbm.size ?? 0);
    rows.push({
      run: r.key,
      batch: b,
      memory: m,
      memory_bytes: memoryBytes(r, m),
      ms_per_iteration: r.timings.msPerIteration ?? NaN,
      pairs_per_iteration: b * (b - 1) + b * m,
      equivalent_batch: equivalentBatch(b, m),
    });
  }
  return rows;
}

/** Figure 7: a table (drawn with text marks, so it renders to SVG/PNG like the plots). */
export function resourcesFigure(input: FigureInput, ctx: FigureContext): FigureOutcome {
  const rows = resourceRows(input.runs);
  if (rows.length === 0) return skipped(ID, TITLE, reportMessages.noConfig);
  const f = ctx.theme.fontSize;
  const cols: { field: string; title: string; format?: string; width: number }[] = [
    { field: 'run', title: 'run', width: 3 },
    { field: 'batch', title: 'B', format: 'd', width: 1 },
    { field: 'memory', title: 'M', format: ',d', width: 1.2 },
    { field: 'memory_bytes', title: 'memory MB', format: '.2f', width: 1.6 },
    { field: 'ms_per_iteration', title: 'ms/iter', format: '.1f', width: 1.3 },
    { field: 'pairs_per_iteration', title: 'pairs/iter', format: ',d', width: 1.6 },
    { field: 'equivalent_batch', title: "B'", format: 'd', width: 1 },
  ];
  const unit = (ctx.theme.widths.double - f * cols.length) / cols.reduce((s, c) => s + c.width, 0);
  const rowStep = Math.round(f * 1.7);
  const hconcat: Spec[] = cols.map((c) => {
    const w = Math.round(unit * c.width);
    const numeric = c.format !== undefined;
    const value = c.field === 'memory_bytes' ? 'datum.memory_bytes / 1e6' : `datum.${c.field}`;
    const text = numeric ? `isValid(${value}) && isFinite(${value}) ? format(${value}, '${c.format}') : '–'` : `datum.${c.field}`;
    return {
      title: { text: c.title, fontSize: f, anchor: numeric ? 'end' : 'start', fontWeight: 'bold' },
      width: w,
      height: { step: rowStep },
      transform: [{ calculate: text, as: 'cell' }],
      mark: { type: 'text', align: numeric ? 'right' : 'left', baseline: 'middle', fontSize: f, limit: w },
      encoding: {
        y: { field: 'run', type: 'nominal', sort: rows.map((r) => r.run), axis: null },
        x: { value: numeric ? w : 0 },
        text: { field: 'cell', type: 'nominal' },
      },
    };
  });
  const spec = topLevel(ctx, TITLE, { table: rows }, {
    data: { name: 'table' },
    hconcat,
    spacing: f,
  });
  (spec as unknown as Spec).config = { ...((spec as unknown as Spec).config as Spec), view: { stroke: null } };
  return figure(ID, TITLE, 'double', rows, RESOURCE_COLUMNS, spec, [
    "B: batch size; M: memory size (0 when XBM never started); pairs/iter = B(B-1) + B·M; B' is the batch size with as many pairs per iteration: B'(B'-1) = B(B-1) + B·M.",
  ]);
}
