import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeDrift } from '../../src/analysis/drift.js';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { runWarmup } from '../../src/cli/warmup.js';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { reportMain } from '../../src/cli/report.js';
import { UserError } from '../../src/errors.js';
import { readDriftTable } from '../../src/io/formats/drift-table.js';
import { runPaths } from '../../src/io/run-paths.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { driftMessages } from '../../src/messages/drift.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun } from './drift-fixtures.js';

// M = 3000, B = 64: the memory spans S = ceil(3000 / 64) = 47 iterations; snapshots every 25
// iterations are 50 apart at the closest above S, so 50 is the gap a policy reads.
const CONFIG = { batchSize: 64, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 0, start: { kind: 'off' } } };
const ITERATIONS = Array.from({ length: 21 }, (_, i) => 25 * i);
const CTX = { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' };

/** A baseline with snapshots and config.json, without analysis/drift.csv. */
function baseline(t: { after: (fn: () => void) => void }): string {
  const dir = tempDir(t);
  makeRun(dir, { n: 12, dim: 4, iterations: ITERATIONS });
  writeFileSync(runPaths(dir).config, JSON.stringify(CONFIG));
  return dir;
}

function lines() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, print: (l: string) => void out.push(l), note: (l: string) => void err.push(l) };
}

test('warmup on a baseline without drift.csv computes the drift at the gap it needs, says so in one line, and decides', async (t) => {
  const dir = baseline(t);
  const io = lines();
  const file = await runWarmup({ run: dir, memorySize: 3000 }, io.print, io.note);
  assert.deepEqual(io.err, [driftMessages.computingMissing(dir, [50], false)]);
  const table = (await readDriftTable(dir))!;
  assert.deepEqual([...new Set(table.rows.map((r) => r.gap))], [50]);
  // The same decision as computing the drift and deciding by hand with what auto means.
  const reference = decideWarmup(computeDrift(SnapshotReader.open(dir), [50]).rows, parseWarmupPolicy(STUDY_CHOICE.policy), CTX);
  assert.deepEqual(file.decision, reference);
  assert.ok(existsSync(runPaths(dir).warmup));
  // A second time the drift is there: nothing to compute, nothing said.
  const again = lines();
  await runWarmup({ run: dir, memorySize: 3000 }, again.print, again.note);
  assert.deepEqual(again.err, []);
});

test('warmup --memory-sizes computes the gaps of the candidate memories that drift.csv lacks and keeps the rows it had', async (t) => {
  const dir = baseline(t);
  await runWarmup({ run: dir, memorySize: 3000 }, () => {}, () => {});
  const before = (await readDriftTable(dir))!.rows;
  const io = lines();
  // 6400 / 64 = 100 iterations: a gap drift.csv does not have yet; 3000 needs 50, which it has.
  const file = await runWarmup({ run: dir, memorySize: 3000, memorySizes: '3000,6400' }, io.print, io.note);
  assert.deepEqual(io.err, [driftMessages.computingMissing(dir, [100], true)]);
  const after = (await readDriftTable(dir))!.rows;
  assert.deepEqual(after.filter((r) => r.gap === 50), before);
  assert.deepEqual(after.filter((r) => r.gap === 100), computeDrift(SnapshotReader.open(dir), [100]).rows);
  if (file.decision.start !== null) {
    assert.deepEqual(file.memoryAdvice!.perSize.map((p) => p.memorySize), [3000, 6400]);
    assert.ok(file.memoryAdvice!.perSize.every((p) => p.gap === null || p.gap >= p.span));
  }
});

test('warmup on a run with neither drift.csv nor snapshots says what it lacks in one line', async (t) => {
  const dir = tempDir(t);
  writeFileSync(runPaths(dir).config, JSON.stringify(CONFIG));
  mkdirSync(runPaths(dir).snapshots); // an empty snapshots/ holds nothing to compute from either
  await assert.rejects(runWarmup({ run: dir, memorySize: 3000 }, () => {}, () => {}), new UserError(driftMessages.noDriftNoSnapshots(dir)));
  // fixed reads no drift: it needs neither.
  assert.equal((await runWarmup({ run: dir, memorySize: 3000, policy: 'fixed:100' }, () => {}, () => {})).decision.start, 100);
});

test('report on a run without drift computes it first (the default gaps and the memory span), saying so', async (t) => {
  const dir = baseline(t);
  // An XBM run: M = 3000 makes S = 47, read at gap 50; the default gaps of snapshots 25 apart are 25 and 100.
  writeFileSync(runPaths(dir).config, JSON.stringify({ ...CONFIG, xbm: { size: 3000, start: { kind: 'at', iteration: 100 } } }));
  writeFileSync(runPaths(dir).metrics, 'iteration,loss\n0,1\n25,0.5\n');
  const err: string[] = [];
  await reportMain({ inputs: [dir], theme: 'default', force: false, smooth: 0 }, { out: () => {}, err: (l) => err.push(l) });
  assert.deepEqual(err.filter((l) => l.startsWith('computing drift')), [driftMessages.computingMissing(dir, [25, 50, 100], false)]);
  assert.deepEqual((await readDriftTable(dir))!.rows, computeDrift(SnapshotReader.open(dir), [25, 50, 100]).rows.sort((a, b) => a.iteration - b.iteration || a.gap - b.gap));
  assert.ok(existsSync(join(dir, 'report', 'index.html')));
  // With drift.csv there, the report reads it and computes nothing.
  const before = readFileSync(runPaths(dir).driftCsv, 'utf8');
  const err2: string[] = [];
  await reportMain({ inputs: [dir], theme: 'default', force: false, smooth: 0 }, { out: () => {}, err: (l) => err2.push(l) });
  assert.deepEqual(err2.filter((l) => l.startsWith('computing drift')), []);
  assert.equal(readFileSync(runPaths(dir).driftCsv, 'utf8'), before);
});
