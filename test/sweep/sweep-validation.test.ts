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
import { runCommand } from '../report/cli-harness.js';
import { tempDir } from '../helpers/tmp.js';

const FAKE = fileURLToPath(new URL('./fake-train.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));
const never = async () => assert.fail('nothing may train');

async function parse(args: string[]): Promise<SweepArgs> {
  return (await runCommand<SweepArgs>(sweepCommand, ['sweep', ...args], true))!;
}

test('a train flag after -- that the grid or --iters also sets is refused before anything is written, not dropped', async (t) => {
  const dir = tempDir(t);
  // [sweep flags, train flags after --, the refusal]
  const cases: [string[], string[], string][] = [
    [['--grid', 'lr=0.1,0.2'], ['--lr', '0.5'], reportMessages.gridFlagTwice('--grid lr=0.1,0.2', '--lr')],
    [['--grid', 'batch=16,32'], ['--batch-size', '8'], reportMessages.gridFlagTwice('--grid batch=16,32', '--batch-size')],
    [['--grid', 'memory=256'], ['--xbm-size=512'], reportMessages.gridFlagTwice('--grid memory=256', '--xbm-size=512')],
    [['--grid', 'seed=1', '--iters', '10'], ['--iterations', '5'], reportMessages.gridFlagTwice('--iters 10', '--iterations')],
    [['--grid', 'xbm=off,200'], ['--xbm-size', '64', '--xbm-start', 'auto'], reportMessages.gridFlagTwice('--grid xbm=off,200', '--xbm-start')],
  ];
  for (const [i, [sweepFlags, trainFlags, message]] of cases.entries()) {
    const out = join(dir, `s${i}`);
    const args = await parse([...sweepFlags, '--out', out, '--', ...trainFlags]);
    await assert.rejects(sweepMain(args, { runPoint: never, io: { out: () => {}, err: () => {} } }), new UserError(message));
    assert.ok(!existsSync(out), `nothing written for ${[...sweepFlags, '--', ...trainFlags].join(' ')}`);
  }
  // xbm=on takes the forwarded start as given: no conflict.
  const ok = await sweepMain(await parse(['--grid', 'xbm=off,on', '--iters', '3', '--out', join(dir, 'ok'), '--', '--xbm-size', '64', '--xbm-start', '2']), {
    runPoint: processPointRunner(process.execPath, [FAKE, 'train']),
    io: { out: () => {}, err: () => {} },
  });
  assert.equal(ok.failed.length, 0);
});

test('--resume after -- is refused up front, for a local sweep and a plan', async (t) => {
  const dir = tempDir(t);
  for (const mode of [[], ['--plan']]) {
    const out = join(dir, `r${mode.length}`);
    await assert.rejects(
      sweepMain(await parse(['--grid', 'seed=1,2', '--out', out, ...mode, '--', '--resume', 'x']), { runPoint: never, io: { out: () => {}, err: () => {} } }, true),
      new UserError(reportMessages.resumeAfterDashes),
    );
    assert.ok(!existsSync(out));
  }
});

test('the point count is said first; a grid above --max-points is refused at once unless --max-points confirms it', async (t) => {
  const dir = tempDir(t);
  const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(',');
  const huge = await parse(['--grid', `seed=${values(1000)}`, '--grid', `lr=${values(1000)}`, '--out', join(dir, 'huge')]);
  const t0 = Date.now();
  await assert.rejects(sweepMain(huge, { runPoint: never, io: { out: () => {}, err: () => {} } }), new UserError(reportMessages.gridTooLarge(1_000_000, 'seed 1000 x lr 1000', 1000)));
  assert.ok(Date.now() - t0 < 2000, `refused in ${Date.now() - t0} ms`);
  assert.ok(!existsSync(join(dir, 'huge')));

  const three = ['--grid', 'seed=1,2,3', '--iters', '2', '--out', join(dir, 'three')];
  await assert.rejects(sweepMain(await parse([...three, '--max-points', '2']), { runPoint: never, io: { out: () => {}, err: () => {} } }), new UserError(reportMessages.gridTooLarge(3, 'seed 3', 2)));
  await assert.rejects(sweepMain(await parse([...three, '--max-points', '0']), { runPoint: never, io: { out: () => {}, err: () => {} } }), new UserError(reportMessages.badMaxPoints(0)));
  const lines: string[] = [];
  const r = await sweepMain(await parse([...three, '--max-points', '3']), { runPoint: processPointRunner(process.execPath, [FAKE, 'train']), io: { out: (l) => lines.push(l), err: () => {} } });
  assert.equal(r.rows.length, 3);
  assert.equal(lines[0], reportMessages.gridCount(3, 'seed 3'));
});

test('the CLI refuses a million-point grid in one line, exit 2, in seconds', (t) => {
  const out = join(tempDir(t), 's');
  const values = Array.from({ length: 1000 }, (_, i) => i + 1).join(',');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'sweep', '--grid', `seed=${values}`, '--grid', `lr=${values}`, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `xbm-drift: ${reportMessages.gridTooLarge(1_000_000, 'seed 1000 x lr 1000', 1000)}`);
  assert.ok(Date.now() - t0 < 20_000);
  assert.ok(!existsSync(out));
});
