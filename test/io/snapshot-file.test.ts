import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Field, FixedSizeList, Float64, Int32, RecordBatch, Schema, Struct, Table, makeData, tableFromIPC, tableToIPC,
} from 'apache-arrow';
import { UserError } from '../../src/errors.js';
import { float32ListData, int32Data } from '../../src/io/arrow-ipc.js';
import { readSnapshot, snapshotTable, writeSnapshot, type SnapshotInput } from '../../src/io/snapshot-file.js';
import { ioMessages } from '../../src/messages/io.js';
import { Rng } from '../../src/random.js';
import { seededFloats } from '../analysis/drift-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

function randomInput(rng: Rng, n: number, dim: number, kind: 'snapshot' | 'batch' = 'snapshot'): SnapshotInput {
  return {
    runId: `run-${rng.int(1000)}`,
    iteration: rng.int(100000),
    // Batch files may repeat ids; negative ids and label 0 are ordinary values.
    sampleIds: Int32Array.from({ length: n }, () => rng.int(2 ** 31) - 2 ** 30),
    labels: Int32Array.from({ length: n }, () => rng.int(5)),
    embeddings: seededFloats(rng, n * dim),
    dim,
    normalized: rng.next() < 0.5,
    kind,
  };
}

function mismatches(path: string, want: SnapshotInput): string[] {
  const got = readSnapshot(path);
  const out: string[] = [];
  const check = (what: string, ok: boolean, g: unknown, w: unknown) => ok || out.push(`${path} ${what}: got ${g}, want ${w}`);
  check('iteration', got.iteration === want.iteration, got.iteration, want.iteration);
  check('runId', got.runId === want.runId, got.runId, want.runId);
  check('dim', got.dim === want.dim, got.dim, want.dim);
  check('normalized', got.normalized === want.normalized, got.normalized, want.normalized);
  check('kind', got.kind === (want.kind ?? 'snapshot'), got.kind, want.kind);
  check('n', got.n === want.sampleIds.length, got.n, want.sampleIds.length);
  for (const [name, g, w] of [
    ['sampleIds', got.sampleIds, want.sampleIds],
    ['labels', got.labels, want.labels],
    ['embeddings', got.embeddings, want.embeddings],
  ] as const) {
    check(`${name}.length`, g.length === w.length, g.length, w.length);
    // Object.is: bit-exact floats, and -0 stays -0.
    for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) check(`${name}[${i}]`, false, g[i], w[i]);
  }
  return out;
}

test('seeded write/read round trip keeps every value, for many shapes and both kinds', (t) => {
  const dir = tempDir(t);
  const rng = new Rng(42);
  const shapes: [number, number][] = [[1, 1], [7, 3], [64, 128], [333, 5], [0, 4], [1000, 64]];
  const problems: string[] = [];
  shapes.forEach(([n, dim], i) => {
    const input = randomInput(rng, n, dim, i % 2 === 0 ? 'snapshot' : 'batch');
    if (n > 0) input.embeddings[0] = -0; // a value a careless copy would turn into 0
    const path = join(dir, `s${i}.arrow`);
    writeSnapshot(path, input);
    problems.push(...mismatches(path, input));
  });
  assert.deepEqual(problems, []);
});

test('the read embeddings are a view of the file bytes, not a copy', (t) => {
  const path = join(tempDir(t), 'a.arrow');
  const input = randomInput(new Rng(1), 10000, 128);
  writeSnapshot(path, input);
  const s = readSnapshot(path);
  assert.equal(s.embeddings.length, 10000 * 128);
  // All columns share one ArrayBuffer holding the whole file.
  assert.equal(s.embeddings.buffer, s.sampleIds.buffer);
  assert.ok(s.embeddings.buffer.byteLength >= statSync(path).size);
});

test('the schema carries the metadata and column types of the contract', (t) => {
  const path = join(tempDir(t), 'a.arrow');
  writeSnapshot(path, { ...randomInput(new Rng(2), 5, 3), runId: 'r7', iteration: 500, normalized: true });
  const table = tableFromIPC(readFileSync(path));
  assert.deepEqual(Object.fromEntries(table.schema.metadata), {
    'xbm_drift.schema_version': '1',
    'xbm_drift.kind': 'snapshot',
    'xbm_drift.run_id': 'r7',
    'xbm_drift.dim': '3',
    'xbm_drift.normalized': 'true',
    'xbm_drift.iteration': '500',
  });
  assert.deepEqual(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`), [
    'sample_id:Int32', 'label:Int32', 'iteration:Int32', 'embedding:FixedSizeList[3]<Float32>',
  ]);
  assert.deepEqual([...(table.getChild('iteration')!.toArray() as Int32Array)], [500, 500, 500, 500, 500]);
  // IPC file format, uncompressed: magic at both ends.
  const bytes = readFileSync(path);
  assert.equal(bytes.toString('latin1', 0, 6), 'ARROW1');
  assert.equal(bytes.toString('latin1', bytes.length - 6), 'ARROW1');
});

test('a write leaves no temporary file and replaces the old version', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'iter-000010.arrow');
  writeSnapshot(path, randomInput(new Rng(3), 4, 2));
  const second = randomInput(new Rng(4), 6, 2);
  writeSnapshot(path, second);
  assert.deepEqual(readdirSync(dir), ['iter-000010.arrow']);
  assert.deepEqual(mismatches(path, second), []);
});

test('a truncated file is reported as truncated, by name, and left as it was', (t) => {
  const dir = tempDir(t);
  const full = join(dir, 'full.arrow');
  writeSnapshot(full, randomInput(new Rng(5), 50, 8));
  const size = statSync(full).size;
  for (const keep of [size - 1, Math.floor(size / 2), 8]) {
    const path = join(dir, `cut-${keep}.arrow`);
    writeFileSync(path, readFileSync(full).subarray(0, keep));
    const before = readFileSync(path);
    assert.throws(() => readSnapshot(path), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, ioMessages.truncatedArrowFile(path, keep));
      return true;
    });
    assert.deepEqual(readFileSync(path), before);
  }
});

test('foreign files are named with what is wrong', (t) => {
  const dir = tempDir(t);
  const expectError = (path: string, message: string) =>
    assert.throws(() => readSnapshot(path), (e: unknown) => e instanceof UserError && e.message === message);

  const csv = join(dir, 'table.arrow');
  writeFileSync(csv, 'sample_id,label\n1,2\n');
  expectError(csv, ioMessages.notArrowFile(csv));

  const empty = join(dir, 'empty.arrow');
  writeFileSync(empty, '');
  expectError(empty, ioMessages.notArrowFile(empty));

  const missing = join(dir, 'nope.arrow');
  expectError(missing, ioMessages.fileNotFound(missing));
  assert.equal(existsSync(missing), false);

  // Arrow, but another table.
  const other = join(dir, 'other.arrow');
  const x = makeData({ type: new Int32(), length: 2, nullCount: 0, data: new Int32Array([1, 2]) });
  const otherFields = [new Field('x', new Int32(), false)];
  writeFileSync(other, tableToIPC(new Table([new RecordBatch(new Schema(otherFields), makeData({ type: new Struct(otherFields), length: 2, nullCount: 0, children: [x] }))]), 'file'));
  expectError(other, ioMessages.missingColumns(other, 'snapshot', ['sample_id', 'label', 'iteration', 'embedding']));

  // Our columns, but no metadata (e.g. written by another tool).
  const bare = join(dir, 'bare.arrow');
  const own = snapshotTable(randomInput(new Rng(6), 3, 2));
  writeFileSync(bare, tableToIPC(new Table([new RecordBatch(new Schema(own.schema.fields), own.batches[0].data)]), 'file'));
  expectError(bare, ioMessages.missingMetadata(bare, [
    'xbm_drift.schema_version', 'xbm_drift.kind', 'xbm_drift.run_id', 'xbm_drift.dim', 'xbm_drift.normalized', 'xbm_drift.iteration',
  ]));

  // A newer schema version.
  const future = join(dir, 'future.arrow');
  const meta = new Map(own.schema.metadata);
  meta.set('xbm_drift.schema_version', '2');
  writeFileSync(future, tableToIPC(new Table([new RecordBatch(new Schema(own.schema.fields, meta), own.batches[0].data)]), 'file'));
  expectError(future, ioMessages.unsupportedSchemaVersion(future, '2', '1'));

  // Float64 embeddings.
  const wide = join(dir, 'f64.arrow');
  const listType = new FixedSizeList(2, new Field('item', new Float64(), false));
  const emb = makeData({ type: listType, length: 3, nullCount: 0, child: makeData({ type: new Float64(), length: 6, nullCount: 0, data: new Float64Array(6) }) });
  const children = [int32Data(new Int32Array(3)), int32Data(new Int32Array(3)), int32Data(new Int32Array(3)), emb];
  const fields = ['sample_id', 'label', 'iteration', 'embedding'].map((name, i) => new Field(name, children[i].type, false));
  writeFileSync(wide, tableToIPC(new Table([new RecordBatch(new Schema(fields, own.schema.metadata), makeData({ type: new Struct(fields), length: 3, nullCount: 0, children }))]), 'file'));
  expectError(wide, ioMessages.badColumnType(wide, 'embedding', 'FixedSizeList[2]<Float64>', 'FixedSizeList<Float32>'));

  // Metadata width that disagrees with the column.
  const liar = join(dir, 'liar.arrow');
  const meta2 = new Map(own.schema.metadata);
  meta2.set('xbm_drift.dim', '5');
  writeFileSync(liar, tableToIPC(new Table([new RecordBatch(new Schema(own.schema.fields, meta2), own.batches[0].data)]), 'file'));
  expectError(liar, ioMessages.dimMetadataMismatch(liar, 5, 2));
});

test('a file of several record batches (other writers) is read as one table', (t) => {
  const path = join(tempDir(t), 'multi.arrow');
  const a = snapshotTable({ ...randomInput(new Rng(7), 4, 3), runId: 'm', iteration: 9 });
  const b = snapshotTable({ ...randomInput(new Rng(8), 5, 3), runId: 'm', iteration: 9, normalized: a.schema.metadata.get('xbm_drift.normalized') === 'true' });
  writeFileSync(path, tableToIPC(new Table([a.batches[0], new RecordBatch(a.schema, b.batches[0].data)]), 'file'));
  const s = readSnapshot(path);
  assert.equal(s.n, 9);
  const want = new Float32Array(27);
  want.set(a.batches[0].getChild('embedding')!.data[0].children[0].values.subarray(0, 12));
  want.set(b.batches[0].getChild('embedding')!.data[0].children[0].values.subarray(0, 15), 12);
  assert.deepEqual(s.embeddings, want);
  assert.deepEqual([...s.sampleIds.subarray(4)], [...(b.getChild('sample_id')!.toArray() as Int32Array)]);
});

test('bad writer input names the argument', () => {
  const ok = randomInput(new Rng(9), 3, 2);
  assert.throws(() => snapshotTable({ ...ok, dim: 0 }), /dim 0/);
  assert.throws(() => snapshotTable({ ...ok, labels: new Int32Array(2) }), /labels has 2/);
  assert.throws(() => snapshotTable({ ...ok, embeddings: new Float32Array(5) }), /embeddings has 5 floats/);
  assert.throws(() => snapshotTable({ ...ok, iteration: -1 }), /iteration -1/);
  assert.equal(float32ListData(new Float32Array(6), 3).length, 2);
});
