import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { inspectCommand } from '../../src/cli/inspect.js';
import { UserError } from '../../src/errors.js';
import { runPaths } from '../../src/io/run-paths.js';
import { writeSnapshot } from '../../src/io/snapshot-file.js';
import { cliMessages } from '../../src/messages/cli.js';
import { ioMessages } from '../../src/messages/io.js';
import { makeRun } from '../analysis/drift-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

async function inspect(path: string): Promise<string[]> {
  const out: string[] = [];
  const output = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
  await yargs()
    .strict()
    .command(inspectCommand)
    .fail((msg, e) => {
      throw e ?? new UserError(msg);
    })
    .parseAsync(['inspect', path], { output });
  return out;
}

const field = (lines: string[], key: string) => lines.find((l) => l.startsWith(key.padEnd(11)))?.slice(12);

test('inspect of a snapshot file prints schema, metadata, rows, width and iteration', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 7, dim: 5, iterations: [0, 250], classes: 3, runId: 'r-42' });
  const lines = await inspect(runPaths(dir).snapshot(250));
  assert.equal(field(lines, 'rows'), '7 in 1 record batch(es)');
  assert.equal(field(lines, 'schema'), 'sample_id: Int32 not null');
  assert.ok(lines.includes(`${''.padEnd(11)} embedding: FixedSizeList[5]<Float32> not null`));
  assert.equal(field(lines, 'metadata'), 'xbm_drift.schema_version = 1');
  assert.ok(lines.some((l) => l.endsWith('xbm_drift.run_id = r-42')));
  assert.ok(lines.some((l) => l.endsWith('xbm_drift.normalized = false')));
  assert.equal(field(lines, 'width'), '5 (embedding)');
  assert.equal(field(lines, 'iterations'), '250');
  assert.match(field(lines, 'file')!, /iter-000250\.arrow \(\d+\.\d\d MB\)$/);
});

test('inspect of a run summarises all snapshots', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 9, dim: 3, iterations: [0, 1, 10, 100], classes: 2 });
  mkdirSync(runPaths(dir).batches);
  for (const it of [3, 4]) {
    writeSnapshot(runPaths(dir).batch(it), { runId: 'test-run', iteration: it, kind: 'batch', sampleIds: new Int32Array(2), labels: new Int32Array(2), embeddings: new Float32Array(6), dim: 3, normalized: false });
  }
  const lines = await inspect(dir);
  assert.equal(field(lines, 'run_id'), 'test-run');
  assert.match(field(lines, 'snapshots')!, /^4 file\(s\), iterations 0\.\.100, \d+\.\d\d MB$/);
  assert.equal(field(lines, 'width'), '3');
  assert.equal(field(lines, 'probe'), `9 samples, 2 classes (${runPaths(dir).probe})`);
  assert.equal(field(lines, 'gaps'), 'default 1, 10, 100');
  assert.equal(field(lines, 'batches'), '2 file(s), iterations 3..4');
});

test('inspect names foreign files, bad runs and inconsistent snapshots', async (t) => {
  const dir = tempDir(t);
  const csv = join(dir, 'x.csv');
  writeFileSync(csv, 'a,b\n');
  const expect = async (path: string, message: string) =>
    assert.rejects(inspect(path), (e: unknown) => e instanceof UserError && e.message === message);
  await expect(csv, ioMessages.notArrowFile(csv));
  await expect(join(dir, 'gone.arrow'), ioMessages.fileNotFound(join(dir, 'gone.arrow')));
  await expect(dir, ioMessages.notAFileOrRun(dir));
  // A run that has written no snapshot yet is named as a run, not as a stranger.
  const young = join(dir, 'young');
  mkdirSync(young);
  writeFileSync(runPaths(young).config, '{}');
  await expect(young, cliMessages.runWithoutSnapshots(young));
  const run = makeRun(dir, { n: 3, dim: 2, iterations: [0, 5] });
  writeSnapshot(runPaths(dir).snapshot(9), { runId: 'x', iteration: 9, sampleIds: run.sampleIds, labels: run.labels, embeddings: new Float32Array(12), dim: 4, normalized: false });
  await expect(dir, ioMessages.widthMismatch(runPaths(dir).snapshot(9), 4, runPaths(dir).snapshot(0), 2));
  for (const m of Object.values(ioMessages)) {
    const text = (m as (...a: unknown[]) => string)('p', ['q'], ['r'], ['s'], ['t']); // arrays print like scalars
    assert.ok(!text.includes('\n') && text.includes('p'), `one line naming the file: ${text}`);
  }
});
