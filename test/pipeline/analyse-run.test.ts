import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeDrift, defaultGaps } from '../../src/analysis/drift.js';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { UserError } from '../../src/errors.js';
import { analyseRun } from '../../src/index.js';
import { readDriftTable } from '../../src/io/formats/drift-table.js';
import { readWarmupFile } from '../../src/io/formats/warmup-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { driftMessages } from '../../src/messages/drift.js';
import { makeRun } from '../analysis/drift-fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const ITERATIONS = Array.from({ length: 21 }, (_, i) => 25 * i);

/** A baseline run folder (snapshots 25 apart, config.json, metrics.csv) from anywhere: no trainer involved. */
function run(t: { after: (fn: () => void) => void }): string {
  const dir = tempDir(t);
  makeRun(dir, { n: 12, dim: 4, iterations: ITERATIONS });
  writeFileSync(runPaths(dir).config, JSON.stringify({ name: 'b', batchSize: 64, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 0, start: { kind: 'off' } } }));
  writeFileSync(runPaths(dir).metrics, 'iteration,loss\n0,1\n25,0.5\n');
  return dir;
}

test('analyseRun: drift at the default gaps, the start decision (with the gap it needs) and the report, as the three verbs would', async (t) => {
  const dir = run(t);
  const notes: string[] = [];
  const a = await analyseRun(dir, { memorySize: 3000, note: (l) => notes.push(l) });
  const reader = SnapshotReader.open(dir);
  assert.deepEqual(a.gaps, defaultGaps(reader.iterations()));
  assert.deepEqual(a.drift.rows, computeDrift(reader, a.gaps).rows);
  // S = ceil(3000 / 64) = 47 is read at gap 50, which the default gaps (25, 100) lack: computed for the decision.
  assert.ok(notes.some((l) => l.includes('at gaps 50 first')), notes.join('\n'));
  const ctx = { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' };
  const rows = (await readDriftTable(dir))!.rows;
  // Without --policy and without an auto policy in config.json: what `auto` means.
  assert.deepEqual(a.warmup!.decision, decideWarmup(rows, parseWarmupPolicy(STUDY_CHOICE.policy), ctx));
  assert.deepEqual(readWarmupFile(runPaths(dir).warmup), a.warmup);
  assert.equal(a.warmupSkipped, null);
  assert.ok(a.warmupLines.some((l) => l.startsWith(`policy: ${STUDY_CHOICE.policy}`)));
  assert.equal(a.report!.result.index, join(dir, 'report', 'index.html'));
  assert.ok(existsSync(a.report!.result.index));
});

test('analyseRun: a decision that cannot be made is skipped with its reason and the report goes on; a bad policy is refused before any write', async (t) => {
  const dir = run(t);
  // No memory and no run.json with the training split: no M to decide with.
  const a = await analyseRun(dir, { reportDir: join(dir, 'elsewhere') });
  assert.equal(a.warmup, null);
  assert.equal(a.warmupSkipped, analysisMessages.missingContext('--memory-size', 'xbm.size'));
  assert.equal(existsSync(runPaths(dir).warmup), false);
  assert.ok(existsSync(join(dir, 'elsewhere', 'index.html')));

  const fresh = run(t);
  await assert.rejects(analyseRun(fresh, { policy: 'bogus', memorySize: 3000 }), UserError);
  assert.equal(existsSync(runPaths(fresh).analysis), false);
  // Gaps no snapshots support are refused before a write, as by the drift verb.
  await assert.rejects(analyseRun(fresh, { gaps: [7], policy: null, reportDir: null }), new UserError(driftMessages.noPossibleGap(fresh, [7], ITERATIONS.slice(1))));
  assert.equal(existsSync(runPaths(fresh).analysis), false);
  // No decision and no report when asked for neither.
  const only = await analyseRun(fresh, { policy: null, reportDir: null });
  assert.equal(only.warmup, null);
  assert.equal(only.report, null);
  assert.equal(existsSync(join(fresh, 'report')), false);
});
