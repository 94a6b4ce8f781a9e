import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readProbe, writeProbe } from '../../src/io/probe-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { readSnapshot, writeSnapshot } from '../../src/io/snapshot-file.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { ioMessages } from '../../src/messages/io.js';
import { Rng } from '../../src/random.js';
import { makeRun, seededFloats } from '../analysis/drift-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

function throwsUser(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** Every file of a folder tree with its bytes, to prove a failing read changed nothing. */
function snapshotOfFolder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name)));
  }
  return out;
}

test('probe file round trip and kind check', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'probe.arrow');
  const sampleIds = Int32Array.from([5, 0, -3, 9]);
  const labels = Int32Array.from([0, 0, 2, 1]);
  writeProbe(path, { runId: 'p1', sampleIds, labels });
  const p = readProbe(path);
  assert.equal(p.runId, 'p1');
  assert.equal(p.n, 4);
  assert.deepEqual([...p.sampleIds], [...sampleIds]);
  assert.deepEqual([...p.labels], [...labels]);
  const snap = join(dir, 'snap.arrow');
  writeSnapshot(snap, { runId: 'p1', iteration: 0, sampleIds, labels, embeddings: new Float32Array(8), dim: 2, normalized: false });
  throwsUser(() => readProbe(snap), ioMessages.badMetadata(snap, 'xbm_drift.kind', 'snapshot', '"probe"'));
});

test('the reader lists iterations without reading files, and reads in probe order', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 20, dim: 3, iterations: [0, 5, 100, 1000] });
  writeFileSync(join(runPaths(dir).snapshots, 'notes.txt'), 'ignored');
  // A damaged file does not stop open(): only reading it fails.
  writeFileSync(runPaths(dir).snapshot(5), 'garbage');
  const reader = SnapshotReader.open(dir);
  assert.deepEqual(reader.iterations(), [0, 5, 100, 1000]);
  assert.equal(reader.dim(), 3);
  const s = reader.at(100);
  assert.equal(s.iteration, 100);
  assert.deepEqual(s.embeddings, run.embeddings.get(100));
  assert.deepEqual([...reader.probe().sampleIds], [...run.sampleIds]);
  throwsUser(() => reader.at(5), ioMessages.notArrowFile(runPaths(dir).snapshot(5)));
  throwsUser(() => reader.at(7), ioMessages.snapshotNotInRun(dir, 7, 0, 1000));
});

test('without probe.arrow the first snapshot defines the probe set', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 10, dim: 2, iterations: [3, 4], probeFile: false });
  const reader = SnapshotReader.open(dir);
  const probe = reader.probe();
  assert.equal(probe.path, runPaths(dir).snapshot(3));
  assert.deepEqual([...probe.labels], [...run.labels]);
  assert.equal(probe.runId, 'test-run');
});

test('a missing run folder and a run without snapshots are named', (t) => {
  const dir = tempDir(t);
  throwsUser(() => SnapshotReader.open(join(dir, 'nope')), ioMessages.runNotFound(join(dir, 'nope')));
  throwsUser(() => SnapshotReader.open(dir), ioMessages.noSnapshots(runPaths(dir).snapshots));
  mkdirSync(runPaths(dir).snapshots);
  writeFileSync(join(runPaths(dir).snapshots, 'readme.md'), '');
  throwsUser(() => SnapshotReader.open(dir), ioMessages.noSnapshots(runPaths(dir).snapshots));
});

test('a snapshot of another width is named with both widths, and nothing is changed', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 6, dim: 4, iterations: [0, 10] });
  const odd = runPaths(dir).snapshot(20);
  writeSnapshot(odd, { runId: 'test-run', iteration: 20, sampleIds: run.sampleIds, labels: run.labels, embeddings: new Float32Array(6 * 5), dim: 5, normalized: false });
  const before = snapshotOfFolder(dir);
  const reader = SnapshotReader.open(dir);
  throwsUser(() => reader.at(20), ioMessages.widthMismatch(odd, 5, runPaths(dir).snapshot(0), 4));
  assert.deepEqual(snapshotOfFolder(dir), before);
});

test('snapshots of another probe set are named: other size, other id, other label, duplicate id', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 6, dim: 2, iterations: [0] });
  const probePath = runPaths(dir).probe;
  const write = (iteration: number, ids: Int32Array, labels: Int32Array) => {
    writeSnapshot(runPaths(dir).snapshot(iteration), { runId: 'x', iteration, sampleIds: ids, labels, embeddings: new Float32Array(ids.length * 2), dim: 2, normalized: false });
    return runPaths(dir).snapshot(iteration);
  };
  const fewer = write(1, run.sampleIds.slice(1), run.labels.slice(1));
  const otherIds = run.sampleIds.slice();
  otherIds[3] = 424242;
  const other = write(2, otherIds, run.labels);
  const otherLabels = run.labels.slice();
  otherLabels[2] += 1;
  const relabelled = write(3, run.sampleIds, otherLabels);
  const dupIds = run.sampleIds.slice();
  dupIds[1] = dupIds[4];
  const dup = write(4, dupIds, run.labels);
  const before = snapshotOfFolder(dir);
  const reader = SnapshotReader.open(dir);
  throwsUser(() => reader.at(1), ioMessages.probeSizeMismatch(fewer, 5, probePath, 6));
  throwsUser(() => reader.at(2), ioMessages.probeIdMismatch(other, 424242, probePath));
  throwsUser(() => reader.at(3), ioMessages.probeLabelMismatch(relabelled, run.sampleIds[2], otherLabels[2], probePath, run.labels[2]));
  throwsUser(() => reader.at(4), ioMessages.duplicateSampleIds(dup, dupIds[4]));
  assert.deepEqual(snapshotOfFolder(dir), before);
});

test('rows in another order are matched by sample_id', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 50, dim: 3, iterations: [0, 1] });
  const rng = new Rng(11);
  const perm = rng.shuffle(Array.from({ length: 50 }, (_, i) => i));
  const emb = run.embeddings.get(1)!;
  const shuffled = new Float32Array(150);
  perm.forEach((from, to) => shuffled.set(emb.subarray(from * 3, from * 3 + 3), to * 3));
  writeSnapshot(runPaths(dir).snapshot(1), {
    runId: 'test-run', iteration: 1, dim: 3, normalized: false, embeddings: shuffled,
    sampleIds: Int32Array.from(perm, (i) => run.sampleIds[i]), labels: Int32Array.from(perm, (i) => run.labels[i]),
  });
  const s = SnapshotReader.open(dir).at(1);
  assert.deepEqual(s.embeddings, emb);
  assert.deepEqual([...s.sampleIds], [...run.sampleIds]);
  assert.deepEqual([...s.labels], [...run.labels]);
});

test('a duplicate sample id in probe.arrow and a misnamed snapshot are named', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 4, dim: 2, iterations: [0, 10] });
  renameSync(runPaths(dir).snapshot(10), runPaths(dir).snapshot(11));
  const reader = SnapshotReader.open(dir);
  throwsUser(() => reader.at(11), ioMessages.iterationMismatch(runPaths(dir).snapshot(11), 11, 10));
  const ids = run.sampleIds.slice();
  ids[0] = ids[1];
  writeProbe(runPaths(dir).probe, { runId: 'test-run', sampleIds: ids, labels: run.labels });
  throwsUser(() => SnapshotReader.open(dir).at(0), ioMessages.duplicateSampleIds(runPaths(dir).probe, ids[1]));
});

test('batch files use the same writer and keep repeated sample ids', (t) => {
  const dir = tempDir(t);
  const path = runPaths(dir).batch(7);
  mkdirSync(runPaths(dir).batches, { recursive: true });
  const ids = Int32Array.from([3, 3, 8]);
  writeSnapshot(path, { runId: 'b', iteration: 7, sampleIds: ids, labels: Int32Array.from([1, 1, 0]), embeddings: seededFloats(new Rng(1), 6), dim: 2, normalized: true, kind: 'batch' });
  const s = readSnapshot(path);
  assert.equal(s.kind, 'batch');
  assert.deepEqual([...s.sampleIds], [3, 3, 8]);
  rmSync(path);
});
