import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsvRaw } from '../../src/io/csv.js';
import { UserError } from '../../src/errors.js';
import { reportMessages } from '../../src/messages/report.js';
import { parseGrid } from '../../src/sweep/grid.js';
import { processPointRunner, type PointRunner } from '../../src/sweep/point-runner.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { writeRunRecord } from '../../src/io/formats/run-record.js';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { fixtureRunRecord } from '../report/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const FAKE = fileURLToPath(new URL('./fake-train.mjs', import.meta.url));

function fakeRunner(env: Record<string, string> = {}): PointRunner {
  return processPointRunner(process.execPath, [FAKE, 'train'], { ...process.env, ...env });
}

const calls = (file: string): string[][] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

test('a 2x2 sweep trains every point with its flags and writes sweep.json and sweep.csv', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sweep');
  const log: string[] = [];
  const callFile = join(dir, 'calls.jsonl');
  const res = await runSweep(
    { out, grid: parseGrid(['batch=16,32', 'xbm=off,on']), iterations: 20, trainFlags: ['--xbm-size', '256', '--lr', '0.01'], jobs: 1 },
    { runPoint: fakeRunner({ FAKE_TRAIN_CALLS: callFile }), log: (l) => log.push(l) },
  );
  assert.deepEqual(res.ran, ['batch-16_xbm-off', 'batch-16_xbm-on', 'batch-32_xbm-off', 'batch-32_xbm-on']);
  assert.equal(res.failed.length, 0);
  const argv = calls(callFile);
  assert.equal(argv.length, 4);
  assert.deepEqual(argv[0], ['--xbm-size', '256', '--lr', '0.01', '--batch-size', '16', '--xbm-start', 'off', '--iterations', '20', '--out', join(out, 'batch-16_xbm-off')]);
  assert.ok(!argv[1].includes('--xbm-start'), 'xbm=on keeps the trainer default start');

  const json = readSweepFile(out)!;
  assert.deepEqual(json.grid.map((a) => a.key), ['batch', 'xbm']);
  assert.deepEqual(json.trainFlags, ['--xbm-size', '256', '--lr', '0.01']);
  assert.equal(json.iterations, 20);
  assert.equal(json.points.length, 4);

  const csv = await readCsvRaw(join(out, 'sweep.csv'));
  assert.deepEqual(Object.keys(csv[0]), [
    'batch', 'xbm', 'point', 'status', 'recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'ms_per_iteration', 'wall_seconds', 'run_dir',
  ]);
  assert.deepEqual(csv.map((r) => r.status), ['completed', 'completed', 'completed', 'completed']);
  // the fake trainer's R@1: 0.3 + 0.05 log2(B/16) + 0.2 with XBM
  assert.deepEqual(csv.map((r) => Number(r.recall_at_1)), [0.3, 0.5, 0.35, 0.55]);
  assert.equal(csv[3].run_dir, 'batch-32_xbm-on');
  assert.equal(csv[2].ms_per_iteration, '16');
  assert.ok(log.some((l) => l.startsWith('[4/4] batch-32_xbm-on: completed in')), 'log.some((l) => l.startsWith(\'[4/4] batch-32_xbm-on: completed in\'))');
  assert.ok(readFileSync(join(out, 'logs', 'batch-16_xbm-off.log'), 'utf8').includes('fake training'), 'readFileSync(join(out, \'logs\', \'batch-16_xbm-off.log\'), \'utf8\').includes(\'fake trai');
});

test('a rerun skips completed points, retries failed ones with --overwrite, and sweep.csv says failed meanwhile', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sweep');
  const callFile = join(dir, 'calls.jsonl');
  const opts = { out, grid: parseGrid(['batch=16,32,64']), iterations: 10, trainFlags: [], jobs: 1 };
  const first = await runSweep(opts, { runPoint: fakeRunner({ FAKE_TRAIN_CALLS: callFile, FAKE_TRAIN_FAIL: 'batch-32' }) });
  assert.deepEqual(first.failed.map((f) => [f.name, f.exitCode]), [['batch-32', 3]]);
  const csv = await readCsvRaw(join(out, 'sweep.csv'));
  assert.deepEqual(csv.map((r) => r.status), ['completed', 'failed', 'completed']);
  assert.equal(csv[1].recall_at_1, 'NaN');

  const second = await runSweep(opts, { runPoint: fakeRunner({ FAKE_TRAIN_CALLS: callFile }) });
  assert.deepEqual(second.skipped, ['batch-16', 'batch-64']);
  assert.deepEqual(second.ran, ['batch-32']);
  assert.equal(second.failed.length, 0);
  const argv = calls(callFile);
  assert.equal(argv.length, 4);
  assert.ok(argv[3].includes('--overwrite'), 'the half-written point folder is replaced');
  assert.ok(!argv[0].includes('--overwrite'), '!argv[0].includes(\'--overwrite\')');
  const after = await readCsvRaw(join(out, 'sweep.csv'));
  assert.deepEqual(after.map((r) => r.status), ['completed', 'completed', 'completed']);
});

test('--jobs 2 runs points in parallel and still records every point', async (t) => {
  const out = join(tempDir(t), 'sweep');
  let running = 0;
  let peak = 0;
  const runPoint: PointRunner = async (job) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 30));
    mkdirSync(job.runDir, { recursive: true });
    writeRunRecord(join(job.runDir, 'run.json'), fixtureRunRecord({ final: { iteration: 1, split: 'test', recall_at_1: 0.5, recall_at_2: 0.6, recall_at_4: 0.7, recall_at_8: 0.8, map_at_r: 0.3, nmi: 0.5, ms_eval: 1 } }));
    running--;
    return { exitCode: 0 };
  };
  const res = await runSweep({ out, grid: parseGrid(['seed=1,2,3,4,5']), trainFlags: [], jobs: 2 }, { runPoint });
  assert.equal(peak, 2);
  assert.equal(res.rows.length, 5);
  assert.ok(res.rows.every((r) => r.status === 'completed' && r.recall_at_1 === 0.5), 'res.rows.every((r) => r.status === \'completed\' && r.recall_at_1 === 0.5)');
});

test('a point that exits 0 without a completed run.json counts as failed', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const res = await runSweep({ out, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 }, { runPoint: async () => ({ exitCode: 0 }) });
  assert.deepEqual(res.failed.map((f) => f.name), ['seed-1']);
  assert.equal(res.rows[0].status, 'failed');
});

test('a sweep folder with another grid, a run folder or a non-empty folder is refused', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sweep');
  const ok: PointRunner = async (job) => {
    mkdirSync(job.runDir, { recursive: true });
    writeRunRecord(join(job.runDir, 'run.json'), fixtureRunRecord({}));
    return { exitCode: 0 };
  };
  await runSweep({ out, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 }, { runPoint: ok });
  await assert.rejects(
    runSweep({ out, grid: parseGrid(['seed=1,2']), trainFlags: [], jobs: 1 }, { runPoint: ok }),
    new UserError(reportMessages.sweepMismatch(out)),
  );
  await assert.rejects(
    runSweep({ out, grid: parseGrid(['seed=1']), trainFlags: ['--lr', '1'], jobs: 1 }, { runPoint: ok }),
    new UserError(reportMessages.sweepMismatch(out)),
  );
  const run = join(out, 'seed-1');
  await assert.rejects(runSweep({ out: run, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 }, { runPoint: ok }), new UserError(reportMessages.outIsRun(run)));
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'x');
  await assert.rejects(runSweep({ out: other, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 }, { runPoint: ok }), new UserError(reportMessages.outNotSweep(other)));
  await assert.rejects(runSweep({ out: join(dir, 'j'), grid: parseGrid(['seed=1']), trainFlags: [], jobs: 0 }, { runPoint: ok }), new UserError(reportMessages.badJobs(0)));
});

test('a trainer that cannot start is a failed point, with the reason in its log', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const res = await runSweep(
    { out, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 },
    { runPoint: processPointRunner(join(out, 'no-such-binary')) },
  );
  assert.equal(res.failed[0].exitCode, null);
  assert.match(readFileSync(res.failed[0].log, 'utf8'), /could not start/);
});
