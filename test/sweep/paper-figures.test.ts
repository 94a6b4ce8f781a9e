/**
 * scripts/paper-figures.ts: the plan's points and flags (no training), its files and refusals, and
 * one tiny end-to-end pass (2 points of 4 iterations through the real trainer, then --collect).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { reportMessages } from '../../src/messages/report.js';
import { representationMessages as msg } from '../../src/messages/representation.js';
import { trainArgsCheck } from '../../src/cli/sweep.js';
import { PAPER_BATCHES, PAPER_BUDGETS, PAPER_LOSSES, paperPlan, planAxes, writePaperPlan } from '../../src/sweep/paper-plan.js';
import { paperCommands, paperFigures, parsePaperArgs } from '../../scripts/paper-figures.js';
import { tempDir } from '../helpers/tmp.js';

/** The value of a flag in a point's train arguments (the last occurrence wins, as in yargs). */
const flagValue = (args: readonly string[], flag: string) => {
  const i = args.lastIndexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};

test('the plan: batch x XBM for the three losses, memory sizes, the shuffle sampler, one dense-snapshot drift run, per seed', () => {
  const plan = paperPlan('small', { seeds: 1 });
  const b = PAPER_BUDGETS.small;
  const batch = plan.points.filter((p) => p.figure === 'batch');
  assert.equal(batch.length, PAPER_LOSSES.length * PAPER_BATCHES.length * 2);
  for (const loss of PAPER_LOSSES)
    for (const size of PAPER_BATCHES)
      for (const xbm of ['off', 'on']) assert.equal(batch.filter((p) => p.values.loss === loss && p.values.batch === String(size) && p.values.xbm === xbm).length, 1, `${loss} ${size} ${xbm}`);
  const memory = plan.points.filter((p) => p.figure === 'memory');
  assert.deepEqual(memory.map((p) => p.values.memory), ['256', '512', '1024', '2048']);
  assert.ok(memory.every((p) => p.values.loss === b.loss && p.values.batch === String(b.batch) && p.values.xbm === 'on'));
  const sampler = plan.points.filter((p) => p.figure === 'sampler');
  assert.deepEqual(sampler.map((p) => [p.values.loss, p.values.batch, p.values.xbm, p.values.sampler]), [[b.loss, String(b.batch), 'off', 'shuffle'], [b.loss, String(b.batch), 'on', 'shuffle']]);
  const drift = plan.points.filter((p) => p.figure === 'drift');
  assert.equal(drift.length, 1);
  assert.equal(plan.points.length, 37);
  assert.ok(plan.points.every((p) => p.values.seed === '1'));
  assert.equal(plan.start, 150, 'XBM starts half-way');
  assert.deepEqual(planAxes(plan.points).map((a) => a.key), ['loss', 'batch', 'xbm', 'seed', 'per-class', 'memory', 'sampler', 'snapshot-every', 'snapshot-offsets']);
  // Three seeds unless told, seed-major (a plan cut short has whole seeds), every folder distinct.
  const three = paperPlan('small');
  assert.equal(three.points.length, 3 * 37);
  assert.deepEqual(three.points.map((p) => p.values.seed), [...Array(37).fill('1'), ...Array(37).fill('2'), ...Array(37).fill('3')]);
  assert.equal(new Set(three.points.map((p) => p.name)).size, 3 * 37, 'distinct folder names');
});

test('the written plan: every point trains with the flags its figure needs, checked by the train verb', (t) => {
  const dir = join(tempDir(t), 'paper');
  const sweep = writePaperPlan(dir, paperPlan('small', { extraFlags: ['--reducer', 'mean-active'] }), trainArgsCheck);
  assert.deepEqual(readSweepFile(dir)?.points, sweep.points);
  assert.equal(readFileSync(join(dir, 'plan.tsv'), 'utf8').trim().split('\n').length, 3 * 37 + 1);
  for (const p of sweep.points) {
    const f = (flag: string) => flagValue(p.args, flag);
    assert.equal(f('--iterations'), '300', p.name);
    assert.equal(f('--eval-every'), '0', p.name);
    assert.equal(f('--loss'), p.values.loss, p.name);
    assert.equal(f('--batch-size'), p.values.batch, p.name);
    assert.equal(f('--reducer'), 'mean-active', `${p.name}: flags after -- reach every point`);
    assert.equal(f('--xbm-start'), p.values.xbm === 'off' ? 'off' : '150', p.name);
    assert.equal(f('--xbm-size'), p.values.memory ?? '3000', p.name);
    assert.equal(f('--per-class'), p.values.batch === '256' ? '8' : undefined, `${p.name}: at most 32 classes a batch`);
    assert.equal(f('--snapshot-every'), 'snapshot-every' in p.values ? '20' : '0', p.name);
    assert.equal(f('--seed'), p.values.seed, p.name);
    assert.equal(f('--sampler'), p.values.sampler, p.name);
    assert.equal(f('--out'), join(dir, p.name));
  }
  const driftPoint = sweep.points.find((p) => 'snapshot-every' in p.values)!;
  assert.equal(flagValue(driftPoint.args, '--snapshot-offsets'), '1,5');
  // The same plan again resumes; another budget in the same folder is refused.
  writePaperPlan(dir, paperPlan('small', { extraFlags: ['--reducer', 'mean-active'] }));
  assert.throws(() => writePaperPlan(dir, paperPlan('paper')), (e: unknown) => e instanceof UserError && e.message === reportMessages.sweepMismatch(dir));
});

test('a point the train verb refuses fails the plan before anything is written', (t) => {
  const dir = join(tempDir(t), 'bad');
  assert.throws(() => writePaperPlan(dir, paperPlan('small', { extraFlags: ['--margin', '-3'] }), trainArgsCheck), (e: unknown) => e instanceof UserError && /nothing was trained/.test(e.message));
  assert.equal(existsSync(join(dir, 'sweep.json')), false);
});

test('arguments: defaults, modes, refusals; the printed commands name the local and cluster routes', () => {
  const a = parsePaperArgs(['--out', 'x', '--iterations', '8', '--', '--reducer', 'mean-active']);
  assert.deepEqual([a.out, a.budget, a.iterations, a.seeds, a.mode, a.extraFlags], ['x', 'small', 8, 3, 'plan', ['--reducer', 'mean-active']]);
  assert.equal(parsePaperArgs(['--out', 'x', '--seeds', '5']).seeds, 5);
  assert.deepEqual(parsePaperArgs(['--out', 'x', '--collect', '--drift-runs', 'a, b']).driftRuns, ['a', 'b']);
  assert.equal(parsePaperArgs(['--out', 'x', '--run', '--points', '0,3']).points?.join(), '0,3');
  const refuses = (argv: string[], text: string) => assert.throws(() => parsePaperArgs(argv), (e: unknown) => e instanceof UserError && e.message === text);
  refuses(['--budget', 'huge', '--out', 'x'], msg.badBudget('huge'));
  refuses(['--out', 'x', '--iterations', '1'], msg.badIterations('1'));
  refuses(['--out', 'x', '--grid', 'a=1'], msg.unknownFlag('--grid'));
  refuses(['--run'], msg.needOut);
  refuses(['--out', 'x', '--run', '--collect'], msg.twoModes('run', 'collect'));
  refuses(['--out', 'x', '--points', '1,a'], msg.pointsNotIndices('1,a'));
  refuses(['--out', 'x', '--seeds', '0'], msg.badSeeds('0'));
  refuses(['--out', 'x', '--seeds', 'two'], msg.badSeeds('two'));
  refuses(['--out', 'x', '--', '--seed', '2'], msg.seedAfterDashes);
  refuses(['--out', 'x', '--run', '--drift-runs', 'a'], msg.driftRunsOnlyCollect);
  const lines = paperCommands(a, writePaperPlanless(a));
  for (const want of ['--run', 'xbm-drift sweep --point <0..110> x', '--slurm', '--k8s', '--collect', '3 seeds']) assert.ok(lines.some((l) => l.includes(want)), want);
});

test('--slurm writes an array job of the unfinished points and --k8s an Indexed Job, both running sweep --point', async (t) => {
  const out = join(tempDir(t), 'paper');
  const lines: string[] = [];
  await paperFigures(parsePaperArgs(['--out', out, '--slurm', '--partition', 'gpu', '--gpus-per-task', '1']), { log: (l) => lines.push(l) });
  const script = readFileSync(join(out, 'slurm', 'sweep.sbatch'), 'utf8');
  assert.match(script, /--array=0-110/);
  assert.match(script, /--partition=gpu/);
  assert.match(script, /sweep --point/);
  await assert.rejects(paperFigures(parsePaperArgs(['--out', out, '--k8s']), { log: () => {} }), (e: unknown) => e instanceof UserError && e.message === reportMessages.k8sImage);
  await paperFigures(parsePaperArgs(['--out', out, '--k8s', '--image', 'reg/xbm:1']), { log: (l) => lines.push(l) });
  const job = readFileSync(join(out, 'k8s', 'job.yaml'), 'utf8');
  assert.match(job, /completions: 111/);
  assert.match(job, /reg\/xbm:1/);
  assert.ok(lines.some((l) => l.includes('sbatch ')) && lines.some((l) => l.includes('kubectl apply')));
  const bad = join(tempDir(t), 'p2');
  await assert.rejects(paperFigures(parsePaperArgs(['--out', bad, '--run', '--points', '111']), { log: () => {} }), (e: unknown) => e instanceof UserError && e.message === msg.badPoints('111', 111));
});

/** A SweepFile for paperCommands without writing one. */
function writePaperPlanless(a: ReturnType<typeof parsePaperArgs>) {
  const plan = paperPlan(a.budget, { iterations: a.iterations, seeds: a.seeds });
  return { schemaVersion: 1 as const, grid: planAxes(plan.points), iterations: plan.iterations, trainFlags: plan.trainFlags, points: plan.points.map((p) => ({ ...p, args: [] })), createdAt: '' };
}

test('tiny budget end to end: points of 4 iterations trained, --collect draws R@1 vs batch and the drift curves and writes the claims', async (t) => {
  const out = join(tempDir(t), 'paper');
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const base = ['--out', out, '--iterations', '4', '--seeds', '1'];
  const run = await paperFigures(parsePaperArgs([...base, '--run', '--points', '0,36']), { log });
  assert.equal(run.trained?.length, 2, lines.join('\n'));
  // A folder that is not a run is refused before anything is written.
  const notRun = join(tempDir(t), 'empty');
  await assert.rejects(paperFigures(parsePaperArgs([...base, '--collect', '--drift-runs', notRun]), { log }), (e: unknown) => e instanceof UserError && e.message === msg.driftRunsNotRuns([notRun]));
  assert.equal(existsSync(join(out, 'report')), false);
  const drift = join(out, 'loss-contrastive_batch-64_xbm-on_snapshot-every-20_snapshot-offsets-1-5_seed-1');
  const collected = await paperFigures(parsePaperArgs([...base, '--collect', '--drift-runs', drift]), { log });
  assert.ok(collected.report && existsSync(collected.report), lines.join('\n'));
  const figures = join(out, 'report', 'figures');
  assert.ok(existsSync(join(figures, 'paper-batch-contrastive.svg')), 'R@1 vs batch size for the trained loss');
  assert.match(readFileSync(join(figures, 'paper-batch-contrastive.svg'), 'utf8'), /with and without XBM: contrastive/, 'the image names its loss');
  assert.ok(existsSync(join(figures, 'paper-drift.svg')), 'drift curves of the snapshotted run');
  assert.ok(lines.some((l) => l.startsWith('not drawn: R@1 vs memory size')), 'memory figure: not trained, said so');
  // One seed and one batch size: every claim is untestable, and says so rather than passing.
  const claims = readFileSync(join(out, 'claims.md'), 'utf8');
  assert.equal(collected.claims?.filter((c) => c.verdict !== 'not testable here').length, 0, claims);
  assert.match(claims, /Slow drift.*runs given with --drift-runs/);
  // Collecting again (more points done) replaces the report and the claims.
  const twice = await paperFigures(parsePaperArgs([...base, '--collect']), { log });
  assert.ok(twice.report && existsSync(twice.report), lines.join('\n'));
  assert.match(readFileSync(join(out, 'claims.md'), 'utf8'), /Slow drift.*the plan's drift runs/);
  // Completed points are not retrained.
  const again = await paperFigures(parsePaperArgs([...base, '--run', '--points', '0']), { log });
  assert.deepEqual(again.trained, []);
});
