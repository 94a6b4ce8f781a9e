import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  DataType, Field, FixedSizeList, Float32, Int32, makeData, Precision, tableFromIPC, tableToIPC,
  type Table, type Vector,
} from 'apache-arrow';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Arrow IPC *file* format helpers shared by snapshot, probe and analysis tables: reading with
 * clear errors for missing, foreign and truncated files, atomic writing, column extraction
 * without copies, and the schema metadata keys of the xbm-drift file contract.
 */

export const SCHEMA_VERSION = '1';

/** Schema metadata keys of every xbm-drift Arrow file (docs/run-folder.md). */
export const META = {
  schemaVersion: 'xbm_drift.schema_version',
  kind: 'xbm_drift.kind',
  runId: 'xbm_drift.run_id',
  dim: 'xbm_drift.dim',
  normalized: 'xbm_drift.normalized',
  iteration: 'xbm_drift.iteration',
} as const;

const MAGIC = 'ARROW1';

/**
 * Read a whole Arrow IPC file. Column buffers view the file's bytes (zero-copy). The file format
 * starts and ends with ARROW1, which tells a foreign file (no magic at the start) from an
 * interrupted write (magic at the start only): apache-arrow itself fails on both with a cryptic
 * message, and on a truncated file cannot recover any row.
 *
 * `reuse`: a buffer whose earlier contents the caller no longer needs (no live views). Reading into
 * it when it is large enough costs about a third of a fresh allocation (no page faults, no GC of
 * external memory). The returned `buffer` is the one read into: pass it back next time.
 */
export function readArrowFile(path: string, reuse?: Buffer): { table: Table; bytes: number; buffer: Buffer } {
  let buffer: Buffer;
  let size: number;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(ioMessages.fileNotFound(path));
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UserError(ioMessages.notArrowFile(path));
    size = st.size;
    // Headroom, so snapshots of one run (sizes differ by a few metadata bytes) share buffers.
    buffer = reuse && reuse.length >= size ? reuse : Buffer.allocUnsafeSlow(Math.ceil(size * 1.01) + 64);
    let at = 0;
    while (at < size) {
      const got = readSync(fd, buffer, at, size - at, at);
      if (got === 0) break;
      at += got;
    }
    size = at;
  } finally {
    closeSync(fd);
  }
  const buf = buffer.subarray(0, size);
  if (buf.length < 6 || buf.toString('latin1', 0, 6) !== MAGIC) throw new UserError(ioMessages.notArrowFile(path));
  if (buf.length < 12 || buf.toString('latin1', buf.length - 6) !== MAGIC) {
    throw new UserError(ioMessages.truncatedArrowFile(path, buf.length));
  }
  let table: Table;
  try {
    table = tableFromIPC(buf);
  } catch (e) {
    throw new UserError(ioMessages.unreadableArrowFile(path, oneLine((e as Error).message)));
  }
  return { table, bytes: buf.length, buffer };
}

/** Encode as an uncompressed Arrow IPC file and write it under a temporary name, then rename. */
export function writeArrowFileAtomic(path: string, table: Table): void {
  writeFileAtomic(path, tableToIPC(table, 'file'));
}

/** Schema metadata as a plain record; throws naming the file when a required key is missing. */
export function requireMetadata(path: string, table: Table, keys: readonly string[]): Record<string, string> {
  const meta = table.schema.metadata;
  const missing = keys.filter((k) => !meta.has(k));
  if (missing.length > 0) throw new UserError(ioMessages.missingMetadata(path, missing));
  return Object.fromEntries(meta);
}

/** Check the schema version; our own files always carry it. */
export function checkSchemaVersion(path: string, meta: Record<string, string>): void {
  const v = meta[META.schemaVersion];
  if (v !== SCHEMA_VERSION) throw new UserError(ioMessages.unsupportedSchemaVersion(path, v, SCHEMA_VERSION));
}

/** Throw naming every missing column at once. */
export function requireColumns(path: string, table: Table, names: readonly string[], kind: string): void {
  const have = new Set(table.schema.fields.map((f) => f.name));
  const missing = names.filter((n) => !have.has(n));
  if (missing.length > 0) throw new UserError(ioMessages.missingColumns(path, kind, missing));
}

export function isInt32(type: DataType): boolean {
  return DataType.isInt(type) && type.bitWidth === 32 && type.isSigned;
}

export function isFloat32(type: DataType): boolean {
  return DataType.isFloat(type) && type.precision === Precision.SINGLE;
}

function column(path: string, table: Table, name: string): Vector {
  const v = table.getChild(name);
  if (v === null) throw new UserError(ioMessages.missingColumns(path, 'xbm-drift', [name]));
  if (v.nullCount > 0) throw new UserError(ioMessages.nullsInColumn(path, name, v.nullCount));
  return v;
}

/** An Int32 column as one Int32Array: a view of the file's bytes when it is one chunk. */
export function int32Column(path: string, table: Table, name: string): Int32Array {
  const v = column(path, table, name);
  if (!isInt32(v.type)) throw new UserError(ioMessages.badColumnType(path, name, String(v.type), 'Int32'));
  if (v.data.length === 0) return new Int32Array(0);
  return v.toArray() as Int32Array; // single chunk: subarray of the IPC buffer; several: one concat
}

/**
 * A FixedSizeList<Float32> column as one flat row-major Float32Array and its width. Zero-copy when
 * the table is one record batch (every file we write); batches written by other tools are joined.
 */
export function float32ListColumn(path: string, table: Table, name: string): { values: Float32Array; dim: number } {
  const v = column(path, table, name);
  const type = v.type;
  if (!DataType.isFixedSizeList(type) || !isFloat32(type.children[0].type)) {
    throw new UserError(ioMessages.badColumnType(path, name, String(type), 'FixedSizeList<Float32>'));
  }
  const dim = type.listSize;
  // Data read from IPC is never sliced, so each chunk's floats start at its child's offset.
  const chunks = v.data.map((d) => {
    const child = d.children[0];
    if (child.nullCount > 0) throw new UserError(ioMessages.nullsInColumn(path, `${name}.item`, child.nullCount));
    const start = child.offset + d.offset * dim;
    return (child.values as Float32Array).subarray(start, start + d.length * dim);
  });
  if (chunks.length === 1) return { values: chunks[0], dim };
  const out = new Float32Array(v.length * dim);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return { values: out, dim };
}

/** Column data over an existing Int32Array, no copy. */
export function int32Data(values: Int32Array) {
  return makeData({ type: new Int32(), length: values.length, nullCount: 0, data: values });
}

/** FixedSizeList<Float32>[dim] data over one flat row-major Float32Array, no per-row boxing. */
export function float32ListData(values: Float32Array, dim: number) {
  const type = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values });
  return makeData({ type, length: values.length / dim, nullCount: 0, child });
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
