import { Field, RecordBatch, Schema, Struct, Table, makeData } from 'apache-arrow';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';
import {
  META, SCHEMA_VERSION, checkSchemaVersion, int32Column, int32Data, readArrowFile, requireColumns, requireMetadata,
  writeArrowFileAtomic,
} from './arrow-ipc.js';

/** probe.arrow: the fixed, seeded set of samples every snapshot of a run embeds (sample_id, label). */
export interface Probe {
  runId: string;
  sampleIds: Int32Array;
  labels: Int32Array;
  n: number;
}

export const PROBE_COLUMNS = ['sample_id', 'label'] as const;

export function writeProbe(path: string, p: { runId: string; sampleIds: Int32Array; labels: Int32Array }): void {
  const n = p.sampleIds.length;
  if (p.labels.length !== n) throw new RangeError(`writeProbe: labels has ${p.labels.length} entries, sampleIds ${n}`);
  const children = [int32Data(p.sampleIds), int32Data(p.labels)];
  const fields = PROBE_COLUMNS.map((name, i) => new Field(name, children[i].type, false));
  const schema = new Schema(fields, new Map([
    [META.schemaVersion, SCHEMA_VERSION],
    [META.kind, 'probe'],
    [META.runId, p.runId],
  ]));
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  writeArrowFileAtomic(path, new Table([new RecordBatch(schema, struct)]));
}

export function readProbe(path: string): Probe {
  const { table } = readArrowFile(path);
  requireColumns(path, table, PROBE_COLUMNS, 'probe');
  const meta = requireMetadata(path, table, [META.schemaVersion, META.kind, META.runId]);
  checkSchemaVersion(path, meta);
  if (meta[META.kind] !== 'probe') throw new UserError(ioMessages.badMetadata(path, META.kind, meta[META.kind], '"probe"'));
  return {
    runId: meta[META.runId],
    sampleIds: int32Column(path, table, 'sample_id'),
    labels: int32Column(path, table, 'label'),
    n: table.numRows,
  };
}
