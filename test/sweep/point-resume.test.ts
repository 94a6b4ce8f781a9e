import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepMain } from '../../src/cli/sweep.js';
import { writeRunRecord } from '../../src/io/formats/run-record.js';
import { parseGrid } from '../../src/sweep/grid.js';
import { runSweepPoint } from '../../src/sweep/point.js';
import type { PointJob, PointRunner } from '../../src/sweep/point-runner.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { fixtureRunRecord } from '../report/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

/** Leaves a point's run folder as a stopped trainer would: run.json with `status`, and optionally a checkpoint. */
function stoppedPoint(runDir: string, status: 'interrupted' | 'running' | 'failed', checkpoint: boolean): void {
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  if (checkpoint) {
    mkdirSync(join(runDir, 'checkpoints', 'iter-000004'));
    writeFileSync(join(runDir, 'checkpoints', 'latest.json'), JSON.stringify({ iteration: 4, dir: 'iter-000004' }));
  }
  writeRunRecord(join(runDir, 'run.json'), fixtureRunRecord({ status }));
}

test('a rerun resumes a point stopped with a checkpoint (train --resume), and restarts the others with --overwrite', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const jobs: PointJob[] = [];
  const record: PointRunner = async (job) => {
    jobs.push(job);
    return { exitCode: 1 };
  };
  const opts = { out, grid: parseGrid(['seed=1,2,3,4']), iterations: 8, trainFlags: ['--lr', '0.01', '--quiet'], jobs: 1 };
  await runSweep(opts, { runPoint: async () => ({ exitCode: 1 }) });
  stoppedPoint(join(out, 'seed-1'), 'interrupted', true);
  stoppedPoint(join(out, 'seed-2'), 'running', true); // killed -9: its lock is stale
  stoppedPoint(join(out, 'seed-3'), 'failed', true);
  await runSweep(opts, { runPoint: record });
  assert.deepEqual(jobs.map((j) => j.args), [
    ['--resume', join(out, 'seed-1'), '--quiet'],
    ['--resume', join(out, 'seed-2'), '--quiet'],
    ['--lr', '0.01', '--quiet', '--seed', '3', '--iterations', '8', '--overwrite', '--out', join(out, 'seed-3')],
    ['--lr', '0.01', '--quiet', '--seed', '4', '--iterations', '8', '--out', join(out, 'seed-4')],
  ]);
});

test('--point resumes a stopped point with a checkpoint; without one it starts again', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const opts = { out, grid: parseGrid(['seed=1,2']), trainFlags: [], jobs: 1 };
  await runSweep(opts, { runPoint: async () => ({ exitCode: 1 }) });
  stoppedPoint(join(out, 'seed-1'), 'interrupted', true);
  stoppedPoint(join(out, 'seed-2'), 'interrupted', false);
  const jobs: PointJob[] = [];
  const record: PointRunner = async (job) => {
    jobs.push(job);
    return { exitCode: 1 };
  };
  await runSweepPoint(out, 0, { runPoint: record });
  await runSweepPoint(out, 1, { runPoint: record });
  assert.deepEqual(jobs.map((j) => j.args), [['--resume', join(out, 'seed-1')], ['--seed', '2', '--overwrite', '--out', join(out, 'seed-2')]]);
});

test('an aborted sweep starts no further point and reports the stopped one as interrupted, not failed', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const controller = new AbortController();
  const started: string[] = [];
  const runPoint: PointRunner = async (job) => {
    started.push(job.name);
    controller.abort('SIGINT');
    assert.equal(job.signal?.aborted, true, 'the point sees the interrupt');
    mkdirSync(job.runDir, { recursive: true });
    writeRunRecord(join(job.runDir, 'run.json'), fixtureRunRecord({ status: 'interrupted' }));
    return { exitCode: 130 };
  };
  const res = await runSweep({ out, grid: parseGrid(['seed=1,2,3']), trainFlags: [], jobs: 1 }, { runPoint, signal: controller.signal });
  assert.deepEqual(started, ['seed-1']);
  assert.deepEqual(res.interrupted, ['seed-1']);
  assert.deepEqual(res.failed, []);
  assert.deepEqual(res.rows.map((r) => r.status), ['interrupted', 'pending', 'pending']);
});

test('--point passes the interrupt on to its trainer, except under Slurm, which signals the trainer itself', async (t) => {
  const out = join(tempDir(t), 'sweep');
  await runSweep({ out, grid: parseGrid(['seed=1']), trainFlags: [], jobs: 1 }, { runPoint: async () => ({ exitCode: 1 }) });
  const seen: (AbortSignal | undefined)[] = [];
  const runPoint: PointRunner = async (job) => {
    seen.push(job.signal);
    return { exitCode: 1 };
  };
  const before = process.exitCode;
  try {
    for (const env of [{}, { SLURM_JOB_ID: '77' }]) {
      await sweepMain({ point: ['0', out], jobs: 1 }, { runPoint, env, io: { out: () => {}, err: () => {} } }, true);
    }
  } finally {
    process.exitCode = before;
  }
  assert.ok(seen[0] instanceof AbortSignal, 'passed on');
  assert.equal(seen[1], undefined, 'not passed on under Slurm');
});
