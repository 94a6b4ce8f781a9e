import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readRunRecord, writeRunRecord, RUN_RECORD_FORMAT } from '../../src/io/formats/run-record.js';
import { readSweepFile, sweepPaths, writeSweepFile, SWEEP_FILE_FORMAT, type SweepFile } from '../../src/io/formats/sweep-file.js';
import { readSweepTable, writeSweepTable, type SweepPointRow } from '../../src/io/formats/sweep-table.js';
import { readWarmupFile, writeWarmupFile, WARMUP_FILE_FORMAT, type WarmupFile } from '../../src/io/formats/warmup-file.js';
import { ioMessages } from '../../src/messages/io.js';
import { fixtureDecision, fixtureRunRecord } from '../report/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const oneLine = (path: string) => (e: unknown) => e instanceof UserError && e.message.startsWith(path) && !e.message.includes('\n');

const WARMUP: WarmupFile = {
  schemaVersion: 1,
  source: 'warmup',
  run: 'runs/base',
  policySpec: 'staleness',
  context: { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' },
  decision: fixtureDecision(900, 'staleness', 3000, 64, 'fired'),
  memoryAdvice: null,
};

const SWEEP: SweepFile = {
  schemaVersion: 1,
  grid: [{ key: 'batch', values: ['16', '32'] }],
  iterations: 20,
  trainFlags: ['--lr', '0.01'],
  points: [
    { name: 'batch-16', values: { batch: '16' }, args: ['--batch-size', '16'] },
    { name: 'batch-32', values: { batch: '32' }, args: ['--batch-size', '32'] },
  ],
  createdAt: '2025-01-01T00:00:00.000Z',
};

test('each format reads back what its writer wrote; NaN comes back as NaN; no temporary file is left', async (t) => {
  const dir = tempDir(t);
  const run = fixtureRunRecord({ name: 'r' });
  const runPath = join(dir, 'run.json');
  writeRunRecord(runPath, { ...run, timings: { ...run.timings, msPerIteration: NaN } });
  const back = readRunRecord(runPath)!;
  assert.ok(Number.isNaN(back.timings.msPerIteration), 'NaN written as null, read as NaN');
  assert.ok(Number.isNaN(back.xbm.threshold), 'xbm.threshold too');
  assert.deepEqual({ ...back, timings: { ...back.timings, msPerIteration: 0 }, xbm: { ...back.xbm, threshold: 0 } }, {
    ...run,
    timings: { ...run.timings, msPerIteration: 0 },
    xbm: { ...run.xbm, threshold: 0 },
  });

  const warmupPath = join(dir, 'analysis', 'warmup.json');
  writeWarmupFile(warmupPath, WARMUP);
  assert.deepEqual(readWarmupFile(warmupPath), WARMUP);

  writeSweepFile(dir, SWEEP);
  assert.deepEqual(readSweepFile(dir), SWEEP);

  const rows: SweepPointRow[] = [
    { point: 'batch-16', values: { batch: '16' }, status: 'completed', recall_at_1: 0.5, recall_at_2: 0.6, recall_at_4: 0.7, recall_at_8: 0.8, map_at_r: 0.2, ms_per_iteration: 8, wall_seconds: 1, run_dir: 'batch-16' },
    { point: 'batch-32', values: { batch: '32' }, status: 'failed', recall_at_1: NaN, recall_at_2: NaN, recall_at_4: NaN, recall_at_8: NaN, map_at_r: NaN, ms_per_iteration: NaN, wall_seconds: NaN, run_dir: 'batch-32' },
  ];
  await writeSweepTable(dir, ['batch'], rows);
  assert.deepEqual(await readSweepTable(dir, ['batch']), rows);

  assert.equal(readRunRecord(join(dir, 'nope.json')), null, 'absent: null');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('invalid or truncated JSON is one line naming the file and the command that writes it', (t) => {
  const dir = tempDir(t);
  const runPath = join(dir, 'run.json');
  writeRunRecord(runPath, fixtureRunRecord({}));
  const text = readFileSync(runPath, 'utf8');
  writeFileSync(runPath, text.slice(0, Math.floor(text.length / 2)));
  assert.throws(() => readRunRecord(runPath), oneLine(runPath));
  assert.throws(() => readRunRecord(runPath), (e: unknown) => e instanceof UserError && /is not valid JSON \(.*\): .*`xbm-drift train`/.test(e.message));
  writeFileSync(runPath, '');
  assert.throws(() => readRunRecord(runPath), oneLine(runPath));

  const warmupPath = join(dir, 'warmup.json');
  writeFileSync(warmupPath, '{"schemaVersion": 1, "decision": {');
  assert.throws(() => readWarmupFile(warmupPath), (e: unknown) => oneLine(warmupPath)(e) && (e as Error).message.includes(WARMUP_FILE_FORMAT.writer));

  writeFileSync(sweepPaths(dir).json, JSON.stringify(SWEEP).slice(0, 40));
  assert.throws(() => readSweepFile(dir), (e: unknown) => oneLine(sweepPaths(dir).json)(e) && (e as Error).message.includes(SWEEP_FILE_FORMAT.writer));
});

test('a wrong schemaVersion, a missing field or a mistyped field is refused, naming the field', (t) => {
  const dir = tempDir(t);
  const runPath = join(dir, 'run.json');
  const rec = fixtureRunRecord({});
  writeFileSync(runPath, JSON.stringify({ ...rec, schemaVersion: 2 }));
  assert.throws(() => readRunRecord(runPath), new UserError(ioMessages.unsupportedSchemaVersion(runPath, '2', '1')));
  const { schemaVersion: _v, ...noVersion } = rec;
  writeFileSync(runPath, JSON.stringify(noVersion));
  assert.throws(() => readRunRecord(runPath), new UserError(ioMessages.missingField(runPath, 'schemaVersion', RUN_RECORD_FORMAT.what, RUN_RECORD_FORMAT.writer)));
  writeFileSync(runPath, JSON.stringify({ ...rec, dataset: { spec: 'mnist2' } }));
  assert.throws(() => readRunRecord(runPath), new UserError(ioMessages.missingField(runPath, 'dataset.trainSize', RUN_RECORD_FORMAT.what, RUN_RECORD_FORMAT.writer)));
  writeFileSync(runPath, JSON.stringify({ ...rec, status: 'done' }));
  assert.throws(() => readRunRecord(runPath), new UserError(ioMessages.badField(runPath, 'status', 'one of running, completed, interrupted, diverged, failed', '"done"')));
  writeFileSync(runPath, '[1, 2]');
  assert.throws(() => readRunRecord(runPath), new UserError(ioMessages.notJsonObject(runPath, RUN_RECORD_FORMAT.what, RUN_RECORD_FORMAT.writer)));

  const warmupPath = join(dir, 'warmup.json');
  writeFileSync(warmupPath, JSON.stringify({ ...WARMUP, decision: { ...WARMUP.decision, start: undefined } }));
  assert.throws(() => readWarmupFile(warmupPath), new UserError(ioMessages.missingField(warmupPath, 'decision.start', WARMUP_FILE_FORMAT.what, WARMUP_FILE_FORMAT.writer)));

  writeFileSync(sweepPaths(dir).json, JSON.stringify({ ...SWEEP, points: [{ name: 'p', values: {} }] }));
  assert.throws(() => readSweepFile(dir), new UserError(ioMessages.missingField(sweepPaths(dir).json, 'points[0].args', SWEEP_FILE_FORMAT.what, SWEEP_FILE_FORMAT.writer)));
});

test('files of earlier versions: the demo\'s bare decision and a sweep.json with `version`', (t) => {
  const dir = tempDir(t);
  const warmupPath = join(dir, 'warmup.json');
  writeFileSync(warmupPath, JSON.stringify(WARMUP.decision));
  const w = readWarmupFile(warmupPath)!;
  assert.equal(w.source, 'demo');
  assert.equal(w.context, null);
  assert.deepEqual(w.decision, WARMUP.decision);
  const { schemaVersion: _v, ...rest } = SWEEP;
  writeFileSync(sweepPaths(dir).json, JSON.stringify({ version: 1, ...rest }));
  assert.deepEqual(readSweepFile(dir), SWEEP);
});
