import { Field, RecordBatch, Schema, Struct, Table, makeData } from 'apache-arrow';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';
import {
  META, SCHEMA_VERSION, checkSchemaVersion, float32ListColumn, float32ListData, int32Column, int32Data,
  readArrowFile, requireColumns, requireMetadata, writeArrowFileAtomic,
} from './arrow-ipc.js';

/**
 * Snapshot files: the embeddings of a set of samples at one iteration, as an uncompressed Arrow IPC
 * file with columns sample_id Int32, label Int32, iteration Int32, embedding FixedSizeList<Float32>[d].
 * "snapshot" files embed the probe set (snapshots/iter-*.arrow); "batch" files hold what one
 * training step computed (batches/iter-*.arrow, --log-batches; sample ids may repeat across files).
 */
export type SnapshotKind = 'snapshot' | 'batch' | 'probe';

export interface SnapshotInput {
  runId: string;
  iteration: number;
  sampleIds: Int32Array;
  labels: Int32Array;
  /** n x dim, row-major */
  embeddings: Float32Array;
  dim: number;
  normalized: boolean;
  kind?: Exclude<SnapshotKind, 'probe'>;
}

export interface Snapshot {
  iteration: number;
  runId: string;
  dim: number;
  normalized: boolean;
  kind: SnapshotKind;
  sampleIds: Int32Array;
  labels: Int32Array;
  /** n x dim, row-major; a view of the file's bytes (zero-copy) */
  embeddings: Float32Array;
  n: number;
}

export const SNAPSHOT_COLUMNS = ['sample_id', 'label', 'iteration', 'embedding'] as const;
const REQUIRED_META = [META.schemaVersion, META.kind, META.runId, META.dim, META.normalized, META.iteration];

/** Build the Arrow table of a snapshot over the caller's arrays (no copies of the embeddings). */
export function snapshotTable(s: SnapshotInput): Table {
  const n = s.sampleIds.length;
  if (!Number.isInteger(s.dim) || s.dim <= 0) throw new RangeError(`writeSnapshot: dim ${s.dim} is not a positive integer`);
  if (!Number.isInteger(s.iteration) || s.iteration < 0) {
    throw new RangeError(`writeSnapshot: iteration ${s.iteration} is not a non-negative integer`);
  }
  if (s.labels.length !== n) throw new RangeError(`writeSnapshot: labels has ${s.labels.length} entries, sampleIds ${n}`);
  if (s.embeddings.length !== n * s.dim) {
    throw new RangeError(`writeSnapshot: embeddings has ${s.embeddings.length} floats, expected n x dim = ${n} x ${s.dim}`);
  }
  const children = [
    int32Data(s.sampleIds),
    int32Data(s.labels),
    int32Data(new Int32Array(n).fill(s.iteration)),
    float32ListData(s.embeddings, s.dim),
  ];
  const fields = SNAPSHOT_COLUMNS.map((name, i) => new Field(name, children[i].type, false));
  const metadata = new Map<string, string>([
    [META.schemaVersion, SCHEMA_VERSION],
    [META.kind, s.kind ?? 'snapshot'],
    [META.runId, s.runId],
    [META.dim, String(s.dim)],
    [META.normalized, String(s.normalized)],
    [META.iteration, String(s.iteration)],
  ]);
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}

/** Write a snapshot (or batch) file atomically: a temporary name, then a rename. */
export function writeSnapshot(path: string, s: SnapshotInput): void {
  writeArrowFileAtomic(path, snapshotTable(s));
}

/** Read and validate a snapshot or batch file; every error names the file and the problem. */
export function readSnapshot(path: string): Snapshot {
  return readSnapshotFile(path).snapshot;
}

/**
 * readSnapshot, reading into `reuse` when it is large enough (see readArrowFile). The snapshot's
 * arrays view the returned `buffer`: reuse it only once the snapshot is no longer used.
 */
export function readSnapshotFile(path: string, reuse?: Buffer): { snapshot: Snapshot; buffer: Buffer } {
  const { table, buffer } = readArrowFile(path, reuse);
  requireColumns(path, table, SNAPSHOT_COLUMNS, 'snapshot');
  const meta = requireMetadata(path, table, REQUIRED_META);
  checkSchemaVersion(path, meta);
  const kind = meta[META.kind];
  if (kind !== 'snapshot' && kind !== 'batch') throw new UserError(ioMessages.badMetadata(path, META.kind, kind, '"snapshot" or "batch"'));
  const metaDim = parseCount(path, meta, META.dim, 1);
  const iteration = parseCount(path, meta, META.iteration, 0);
  const normalized = meta[META.normalized];
  if (normalized !== 'true' && normalized !== 'false') {
    throw new UserError(ioMessages.badMetadata(path, META.normalized, normalized, '"true" or "false"'));
  }
  const sampleIds = int32Column(path, table, 'sample_id');
  const labels = int32Column(path, table, 'label');
  int32Column(path, table, 'iteration'); // type and null checks only: the metadata is authoritative
  const { values, dim } = float32ListColumn(path, table, 'embedding');
  if (dim !== metaDim) throw new UserError(ioMessages.dimMetadataMismatch(path, metaDim, dim));
  const snapshot: Snapshot = {
    iteration,
    runId: meta[META.runId],
    dim,
    normalized: normalized === 'true',
    kind,
    sampleIds,
    labels,
    embeddings: values,
    n: table.numRows,
  };
  return { snapshot, buffer };
}

function parseCount(path: string, meta: Record<string, string>, key: string, min: number): number {
  const text = meta[key];
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min) throw new UserError(ioMessages.badMetadata(path, key, text, `an integer >= ${min}`));
  return v;
}
