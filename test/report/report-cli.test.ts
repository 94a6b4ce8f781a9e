import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { reportMessages } from '../../src/messages/report.js';
import { reportCommand, reportMain, type ReportArgs } from '../../src/cli/report.js';
import { runWarmup } from '../../src/cli/warmup.js';
import { makePair, makeRun } from './fixtures.js';
import { runCommand } from './cli-harness.js';
import { tempDir } from '../helpers/tmp.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

async function parse(args: string[]): Promise<ReportArgs> {
  return (await runCommand<ReportArgs>(reportCommand, ['report', ...args], true))!;
}

test('report <run> <run> --out: flags parse, the report is written and its path printed', async (t) => {
  const root = tempDir(t);
  const { baseline, xbm } = await makePair(root, { iterations: 160 });
  const out = join(root, 'cmp');
  const a = await parse([baseline, xbm, '--out', out, '--theme', 'paper', '--smooth', '5']);
  assert.deepEqual([a.inputs, a.out, a.theme, a.force, a.smooth], [[baseline, xbm], out, 'paper', false, 5]);
  const c = io();
  const { report } = await reportMain(a, c.io);
  assert.deepEqual(c.out, [`report: ${join(out, 'index.html')} (8 figures; not drawn: pca-trajectories, cka-drift, memory-staleness, smart-index, sweep-batch, sweep-memory)`]);
  assert.deepEqual(c.err, []);
  assert.equal(report.theme, 'paper');
  assert.ok(existsSync(join(out, 'figures', 'drift.png')), 'drift.png');
});

test('the command module runs end to end; a single run reports into <run>/report by default', async (t) => {
  const run = await makeRun(join(tempDir(t), 'r'), { name: 'r', iterations: 60 });
  await runCommand(reportCommand, ['report', run]);
  assert.ok(existsSync(join(run, 'report', 'index.html')), 'index.html');
});

test('a run without drift.csv still gets its other figures, and the warning names `xbm-drift drift <run>`', async (t) => {
  const run = await makeRun(join(tempDir(t), 'nodrift'), { name: 'nodrift', iterations: 60, files: { drift: false } });
  const c = io();
  const { report } = await reportMain(await parse([run]), c.io);
  assert.deepEqual(c.err, [`warning: ${reportMessages.missingDrift('nodrift', run)}`]);
  assert.match(c.err[0], new RegExp(`xbm-drift drift ${run}`));
  assert.ok(report.figures.length >= 4, 'other figures drawn');
  assert.ok(report.skipped.some((s) => s.id === 'drift'), 'drift skipped');
  assert.match(readFileSync(join(run, 'report', 'index.html'), 'utf8'), /xbm-drift drift /);
});

test('user errors: not a run or sweep, several inputs without --out, different datasets without --force, bad flags', async (t) => {
  const root = tempDir(t);
  const a = await makeRun(join(root, 'a'), { name: 'a', iterations: 40, dataset: 'mnist2' });
  const b = await makeRun(join(root, 'b'), { name: 'b', iterations: 40, dataset: 'mnist3' });
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const c = io();
  await assert.rejects(reportMain(await parse([empty]), c.io), new UserError(reportMessages.notRunOrSweep(empty)));
  await assert.rejects(reportMain(await parse([join(root, 'nope')]), c.io), new UserError(reportMessages.notFound(join(root, 'nope'))));
  await assert.rejects(reportMain(await parse([a, b]), c.io), new UserError(reportMessages.outRequired));
  await assert.rejects(
    reportMain(await parse([a, b, '--out', join(root, 'o')]), c.io),
    new UserError(reportMessages.mixedDatasets(['mnist2 {"dataSeed":0}', 'mnist3 {"dataSeed":0}'])),
  );
  const forced = await reportMain(await parse([a, b, '--out', join(root, 'o'), '--force']), c.io);
  assert.equal(forced.report.runs.length, 2);
  await assert.rejects(parse([a, '--theme', 'poster']), (e: unknown) => e instanceof UserError && /poster/.test(e.message));
  await assert.rejects(reportMain(await parse([a, '--smooth', '-1']), c.io), new UserError(reportMessages.badSmooth(-1)));
  await assert.rejects(parse([]), (e: unknown) => e instanceof UserError);
});

test('the `warmup` verb\'s analysis/warmup.json shows in the report as the suggested start', async (t) => {
  const run = await makeRun(join(tempDir(t), 'base'), { name: 'base', iterations: 200, xbmStart: null });
  const printed: string[] = [];
  const file = await runWarmup({ run, policy: 'fixed:120', memorySize: 1000 }, (l) => printed.push(l));
  assert.equal(file.decision.start, 120);
  const { report } = await reportMain(await parse([run]), io().io);
  assert.equal(report.summary.runs[0].suggestion?.start, 120);
  assert.equal(report.summary.runs[0].suggestion?.policy, 'fixed');
  const html = readFileSync(join(run, 'report', 'index.html'), 'utf8');
  assert.match(html, /No XBM in this run\.<\/b> Warm-up analysis \(analysis\/warmup\.json, written by <code>xbm-drift warmup<\/code>\): the <code>fixed<\/code> policy \(start=120\) would start XBM at iteration 120/);
});

test('report --out an existing file is one line, and nothing is written', async (t) => {
  const root = tempDir(t);
  const run = await makeRun(join(root, 'r'), { name: 'r', iterations: 40 });
  const file = join(root, 'notes.txt');
  writeFileSync(file, 'mine');
  await assert.rejects(reportMain(await parse([run, '--out', file]), io().io), new UserError(reportMessages.outIsFile(file)));
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  assert.deepEqual(readdirSync(root).sort(), ['notes.txt', 'r']);
});
