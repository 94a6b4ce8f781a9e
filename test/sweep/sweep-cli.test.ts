import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { reportMessages } from '../../src/messages/report.js';
import { sweepCommand, sweepMain, type SweepArgs } from '../../src/cli/sweep.js';
import { processPointRunner } from '../../src/sweep/point-runner.js';
import { buildReport } from '../../src/report/build-report.js';
import { runCommand } from '../report/cli-harness.js';
import { tempDir } from '../helpers/tmp.js';

const FAKE = fileURLToPath(new URL('./fake-train.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));

async function parse(args: string[]): Promise<SweepArgs> {
  return (await runCommand<SweepArgs>(sweepCommand, ['sweep', ...args], true))!;
}

test('sweep flags: repeated --grid, --iters, --jobs and train flags after --', async () => {
  const a = await parse(['--grid', 'batch=16,32', '--grid', 'xbm=off,on', '--iters', '50', '--out', 'sw', '--jobs', '2', '--', '--xbm-size', '256', '--lr', '1e-3', '--xbm-start', 'auto']);
  assert.deepEqual(a.grid, ['batch=16,32', 'xbm=off,on']);
  assert.equal(a.iters, 50);
  assert.equal(a.jobs, 2);
  assert.equal(a.out, 'sw');
  assert.deepEqual(a['--']!.map(String), ['--xbm-size', '256', '--lr', '0.001', '--xbm-start', 'auto']);
  const b = await parse(['--grid', 'seed=1', '--iterations', '7', '--out', 'x']);
  assert.equal(b.iters, 7);
  assert.equal(b.jobs, 1);
});

test('sweep needs --grid and --out; bad values are user errors', async () => {
  await assert.rejects(parse(['--out', 'x']), (e: unknown) => e instanceof UserError && /grid/.test(e.message));
  await assert.rejects(parse(['--grid', 'batch=16']), (e: unknown) => e instanceof UserError && /out/.test(e.message));
  await assert.rejects(sweepMain({ grid: ['batch'], out: 'x', jobs: 1 }), new UserError(reportMessages.badGrid('batch')));
  await assert.rejects(sweepMain({ grid: ['batch=1'], out: 'x', jobs: 1, iters: 0 }), new UserError(reportMessages.badIters(0)));
});

test('sweepMain with a fake trainer, then a report of the sweep: R@1 vs batch with and without XBM', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'batch');
  // A fixed start: an automatic one needs more snapshots than 20 iterations take (the train verb's check).
  const a = await parse(['--grid', 'batch=16,32,64', '--grid', 'xbm=off,on', '--iters', '20', '--out', out, '--jobs', '2', '--', '--xbm-size', '512', '--xbm-start', '10']);
  const lines: string[] = [];
  const errs: string[] = [];
  const res = await sweepMain(a, { runPoint: processPointRunner(process.execPath, [FAKE, 'train']), io: { out: (l) => lines.push(l), err: (l) => errs.push(l) } });
  assert.equal(res.rows.length, 6);
  assert.deepEqual(errs, []);
  assert.equal(lines.at(-1), `sweep: ${join(out, 'sweep.csv')} (6 points: 6 trained, 0 done earlier, 0 failed)`);
  const report = await buildReport(out);
  const fig = report.figures.find((f) => f.id === 'sweep-batch')!;
  assert.deepEqual(fig.data.map((r) => [r.batch, r.xbm, r.recall_at_1]), [
    [16, 'off', 0.3], [16, 'on', 0.5], [32, 'off', 0.35], [32, 'on', 0.55], [64, 'off', 0.4], [64, 'on', 0.6],
  ]);
  assert.equal(report.runs.length, 6, 'the points are runs of the report too');

  // a rerun resumes: nothing to train
  const again: string[] = [];
  await sweepMain(a, { runPoint: async () => assert.fail('nothing should run'), io: { out: (l) => again.push(l), err: () => {} } });
  assert.equal(again.at(-1), `sweep: ${join(out, 'sweep.csv')} (6 points: 0 trained, 6 done earlier, 0 failed)`);
});

test('failed points set exit code 1 and say how to retry', async (t) => {
  const out = join(tempDir(t), 's');
  const errs: string[] = [];
  const before = process.exitCode;
  try {
    await sweepMain({ grid: ['seed=1,2'], out, jobs: 1 }, { runPoint: async () => ({ exitCode: 4 }), io: { out: () => {}, err: (l) => errs.push(l) } });
    assert.equal(process.exitCode, 1);
  } finally {
    process.exitCode = before;
  }
  assert.deepEqual(errs, [reportMessages.sweepFailures(2, 2)]);
});

test('every point is checked with the train verb\'s own validation before any trains: one line, nothing written', async (t) => {
  const dir = tempDir(t);
  const never = async () => assert.fail('no point may train when one is invalid');
  const quiet = { out: () => {}, err: () => {} };
  const cases: [SweepArgs, (e: unknown) => boolean][] = [
    [await parse(['--grid', 'batch=abc,16', '--out', join(dir, 'a')]), (e) => e instanceof UserError && e.message.startsWith('sweep point batch-abc would fail: ') && e.message.includes('--batch-size')],
    [await parse(['--grid', 'foo=1,2', '--out', join(dir, 'b')]), (e) => e instanceof UserError && e.message === reportMessages.unknownGridKey('foo', '--foo')],
    [await parse(['--grid', 'seed=1,2', '--out', join(dir, 'c'), '--', '--lr', '-1']), (e) => e instanceof UserError && e.message.startsWith('sweep point seed-1 would fail: ') && e.message.includes('--lr')],
    [await parse(['--grid', 'seed=1', '--out', join(dir, 'd'), '--', '--sampler', 'foo']), (e) => e instanceof UserError && e.message.startsWith('sweep point seed-1 would fail: ') && e.message.includes('foo')],
    [await parse(['--grid', 'seed=1', '--out', join(dir, 'e'), '--', '--bogus', '3']), (e) => e instanceof UserError && e.message.startsWith('sweep point seed-1 would fail: ') && e.message.includes('bogus')],
  ];
  for (const [args, check] of cases) {
    await assert.rejects(sweepMain(args, { runPoint: never, io: quiet }), (e: unknown) => check(e) && !(e as Error).message.includes('\n'));
    assert.ok(!existsSync(args.out!), `nothing written at ${args.out}`);
  }
  // valid points still pass the check (the fake trainer runs them)
  const ok = await sweepMain(await parse(['--grid', 'batch=16,32', '--grid', 'xbm=off,on', '--iters', '5', '--out', join(dir, 'ok'), '--', '--xbm-size', '256', '--xbm-start', '2', '--lr', '0.01']), {
    runPoint: processPointRunner(process.execPath, [FAKE, 'train']),
    io: quiet,
  });
  assert.equal(ok.failed.length, 0);
});

test('the main CLI exits 2 with one line for a bad grid value, and trains nothing', async (t) => {
  const out = join(tempDir(t), 's');
  const r = spawnSync(process.execPath, [BIN, 'sweep', '--grid', 'batch=abc,16', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /sweep point batch-abc would fail: /);
  assert.ok(!existsSync(out), 'nothing written');
});
