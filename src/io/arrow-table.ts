import { Field, Float64, Int32, RecordBatch, Schema, Struct, Table, makeData } from 'apache-arrow';
import { META, SCHEMA_VERSION, writeArrowFileAtomic } from './arrow-ipc.js';

/**
 * Small numeric analysis tables (drift.arrow, ...) as Arrow IPC files: the same rows as their CSV,
 * for tools that prefer typed columns (pyarrow, polars). Integer-valued columns are Int32, the
 * rest Float64; NaN stays NaN.
 */
export type NumericColumnType = 'int32' | 'float64';

export function numericTable(
  columns: readonly { name: string; type: NumericColumnType }[],
  rows: readonly Record<string, unknown>[],
  metadata: Record<string, string>,
): Table {
  const children = columns.map(({ name, type }) => {
    const values = type === 'int32' ? new Int32Array(rows.length) : new Float64Array(rows.length);
    rows.forEach((r, i) => (values[i] = Number(r[name])));
    return type === 'int32'
      ? makeData({ type: new Int32(), length: rows.length, nullCount: 0, data: values as Int32Array })
      : makeData({ type: new Float64(), length: rows.length, nullCount: 0, data: values as Float64Array });
  });
  const fields = columns.map((c, i) => new Field(c.name, children[i].type, false));
  const schema = new Schema(fields, new Map(Object.entries({ [META.schemaVersion]: SCHEMA_VERSION, ...metadata })));
  const struct = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}

/** Write a numeric table as an Arrow IPC file, atomically. */
export function writeNumericArrow(
  path: string,
  columns: readonly { name: string; type: NumericColumnType }[],
  rows: readonly Record<string, unknown>[],
  metadata: Record<string, string>,
): void {
  writeArrowFileAtomic(path, numericTable(columns, rows, metadata));
}
