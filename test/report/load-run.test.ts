import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { runPaths } from '../../src/io/run-paths.js';
import { folderKind } from '../../src/io/folder-kind.js';
import { writeRunRecord } from '../../src/io/formats/run-record.js';
import { configuredStart } from '../../src/io/formats/start-decision.js';
import { ioMessages } from '../../src/messages/io.js';
import { assignKeys, datasetLabel, loadRun } from '../../src/report/load-run.js';
import { fixtureRunRecord, makeRun } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

test('loadRun reads every table and the run.json fields the report shows', async (t) => {
  const dir = await makeRun(join(tempDir(t), 'r'), { name: 'r1', iterations: 100, xbmStart: 40, xbmSize: 512, batchSize: 32, files: { warmup: true } });
  const r = await loadRun(dir);
  assert.equal(r.name, 'r1');
  assert.equal(r.dataset, 'mnist2 {"dataSeed":0}');
  assert.equal(r.batchSize, 32);
  assert.equal(r.embeddingDim, 64);
  assert.equal(r.xbm.start, 40);
  assert.equal(r.xbm.size, 512);
  assert.equal(r.xbm.decision?.policy, 'staleness');
  assert.equal(r.suggestion?.start, 33);
  assert.equal(r.metrics?.length, 100);
  assert.ok(r.drift && r.drift.length > 0, 'r.drift && r.drift.length > 0');
  assert.ok(r.staleness && r.staleness.length > 0, 'r.staleness && r.staleness.length > 0');
  assert.equal(r.status, 'completed');
  assert.equal(r.collapse?.collapsed, false);
  assert.equal(typeof r.final.recall_at_1, 'number');
  assert.equal(r.metrics![0].event, '');
  assert.ok(Number.isNaN(r.metrics![0].memory_age_mean), 'Number.isNaN(r.metrics![0].memory_age_mean)');
});

test('missing optional files give null tables; final metrics fall back to the last evaluation', async (t) => {
  const dir = await makeRun(join(tempDir(t), 'r'), { name: 'r', files: { drift: false, staleness: false } });
  const p = runPaths(dir);
  // an interrupted run: run.json without final, with a null start from an auto policy not yet fired
  const rec = fixtureRunRecord({ name: 'r', status: 'interrupted', final: null });
  writeRunRecord(p.run, { ...rec, xbm: { ...rec.xbm, size: 100, requested: { kind: 'auto', policy: { kind: 'staleness', window: 3 } } }, timings: { ...rec.timings, msPerIteration: NaN } });
  const r = await loadRun(dir);
  assert.equal(r.drift, null);
  assert.equal(r.staleness, null);
  assert.equal(r.status, 'interrupted');
  assert.equal(r.xbm.start, null);
  assert.ok(r.final.recall_at_1 > 0, 'from eval.csv');
  assert.ok(r.timings.msPerIteration! > 40, 'median of metrics.csv');
});

test('a run.json of another shape is a one-line UserError naming the file and the field; so is malformed JSON', async (t) => {
  const dir = join(tempDir(t), 'r');
  mkdirSync(dir);
  const p = runPaths(dir);
  const W = '`xbm-drift train`';
  const W_WHAT = 'run record (run.json)';
  writeFileSync(p.run, JSON.stringify({ ...fixtureRunRecord({}), xbm: 'weird' }));
  await assert.rejects(loadRun(dir), new UserError(ioMessages.badField(p.run, 'xbm', 'an object', '"weird"')));
  const { timings: _t, ...noTimings } = fixtureRunRecord({});
  writeFileSync(p.run, JSON.stringify(noTimings));
  await assert.rejects(loadRun(dir), new UserError(ioMessages.missingField(p.run, 'timings', W_WHAT, W)));
  writeFileSync(p.run, '{ not json');
  await assert.rejects(loadRun(dir), (e: unknown) => e instanceof UserError && e.message.startsWith(`${p.run} is not valid JSON (`) && !e.message.includes('\n'));
});

test('the start comes from run.json, else a fixed config start, else the first active metrics row', async (t) => {
  const root = tempDir(t);
  const dir = await makeRun(join(root, 'a'), { name: 'a', iterations: 60, xbmStart: 30, configStartObject: true, files: { run: false } });
  assert.equal((await loadRun(dir)).xbm.start, 30);
  const cfg = runPaths(dir).config;
  writeFileSync(cfg, JSON.stringify({ batchSize: 8, xbm: { size: 100, start: { kind: 'auto', policy: 'staleness' } } }));
  assert.equal((await loadRun(dir)).xbm.start, 30, 'from metrics.csv');
  rmSync(runPaths(dir).metrics);
  assert.equal((await loadRun(dir)).xbm.start, undefined, 'an auto policy, no run.json, no metrics: unknown');
  writeFileSync(cfg, JSON.stringify({ batchSize: 8, xbm: { size: 0, start: { kind: 'at', iteration: 5 } } }));
  assert.equal((await loadRun(dir)).xbm.start, null, 'no memory, no XBM');
});

test('configuredStart, datasetLabel, folderKind and assignKeys', (t) => {
  assert.equal(configuredStart(100), 100);
  assert.equal(configuredStart('off'), null);
  assert.equal(configuredStart({ kind: 'off' }), null);
  assert.equal(configuredStart({ kind: 'at', iteration: 7 }), 7);
  assert.equal(configuredStart({ kind: 'auto', policy: 'plateau' }), undefined);
  assert.equal(datasetLabel('mnist2'), 'mnist2');
  assert.equal(datasetLabel({ spec: 'mnist3' }), 'mnist3');
  assert.equal(datasetLabel(undefined), 'unknown');
  const dir = tempDir(t);
  assert.equal(folderKind(join(dir, 'nope')), 'missing');
  assert.equal(folderKind(dir), 'other');
  writeFileSync(join(dir, 'sweep.json'), '{}');
  assert.equal(folderKind(dir), 'sweep');
  const keys = assignKeys([{ name: 'a' }, { name: 'b' }, { name: 'a' }].map((r) => ({ ...r, key: r.name }) as never)).map((r: { key: string }) => r.key);
  assert.deepEqual(keys, ['a', 'b', 'a #2']);
});
