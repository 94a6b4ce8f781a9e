/**
 * The XBM study's stage logic with hand-made outcomes (no training), and the study as sweep
 * points: each point's train arguments give exactly the configuration the local study plans, so
 * either way of running finds the other's runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { trainOptions } from '../../src/cli/train.js';
import { resolveTrainConfig, type TrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { UserError } from '../../src/errors.js';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { studyMessages } from '../../src/messages/study.js';
import { armName, autoPolicies, studyAdapts, studyReducers } from '../../src/study/arms.js';
import { xbmRegimes } from '../../src/study/regimes.js';
import { extendStudySweep } from '../../src/study/study-sweep.js';
import type { PlannedRun } from '../../src/study/run-plan.js';
import { regimeStudy, runXbmStudy, xbmRunPlan, type Obtain } from '../../src/study/xbm-study.js';
import type { RunOutcome } from '../../src/study/outcome.js';
import { tempDir } from '../helpers/tmp.js';
import { outcome } from './outcomes.js';

const [regime] = xbmRegimes({ iterations: 200, wanted: ['scratch-64'] });
const seeds = [1, 2, 3];

/**
 * A hand-made study: sum-per-query collapses with XBM; mean-active + moments is best, sdc second;
 * XBM from 50 is the best start (0.60; no XBM 0.55); staleness never starts, scatter starts at 60.
 */
function fake(p: PlannedRun): RunOutcome {
  const c = p.config;
  const seed = c.seed;
  if (c.xbm.size === 0) return outcome(0.55, { start: 'off' });
  if (c.loss.reducer === 'sum-per-query') return outcome(0.1, { collapsed: true });
  const start = c.xbm.start;
  const adapt = c.xbm.adapt.kind;
  if (adapt !== 'moments') return outcome(adapt === 'sdc' ? 0.58 : 0.56);
  if (start.kind === 'at') return outcome(start.iteration === 50 ? 0.6 : 0.59, { start: String(start.iteration) });
  const policy = start.kind === 'auto' ? (start.policy as { kind: string }).kind : 'other';
  if (policy === 'staleness') return outcome(0.55, { start: 'never' });
  if (policy === 'scatter') return outcome(0.6 - 0.001 * seed, { start: '60' });
  return outcome(0.57, { start: '80' });
}

test('the stages: screen on one seed, repeats of the two best, stage B of the best with every auto policy; acceptance per policy', async () => {
  const calls: PlannedRun[][] = [];
  const obtain: Obtain = async (runs) => {
    calls.push([...runs]);
    return runs.map(fake);
  };
  const r = await regimeStudy(regime, { out: 'runs/s', seeds, regimes: [regime] }, obtain);
  assert.ok(r);
  const reducers = studyReducers();
  assert.equal(calls.length, 3);
  assert.equal(calls[0].length, reducers.length * (studyAdapts().length + 1), 'screen: every reducer x (no XBM + every strategy), one seed');
  assert.ok(calls[0].every((p) => p.config.seed === 1));
  const repeated = new Set(calls[1].map((p) => p.dir.replace(/-seed\d$/, '').split('/').at(-1)));
  assert.deepEqual([...repeated], [...reducers.map((x) => `noxbm-${x}`), 'xbm-mean-active-moments-100', 'xbm-mean-active-sdc-100']);
  assert.equal(calls[1].length, repeated.size * 3);
  assert.equal(calls[2].length, (3 + autoPolicies().length + 1) * 3);
  assert.ok(calls[2].every((p) => p.config.loss.reducer === 'mean-active' && p.config.xbm.adapt.kind === 'moments'), 'stage B uses the best configuration');
  for (const p of autoPolicies()) assert.ok(calls[2].some((x) => x.dir.includes(`auto-${p}-seed`)), p);
  // Acceptance: best fixed start 50 at 0.600; no XBM 0.550, so a policy must start in every seed.
  assert.match(r.markdown, /best fixed start 50 \(R@1 0\.600\)/);
  assert.match(r.markdown, /\| auto:scatter \| 0\.598 ± 0\.001 \| -0\.20 \| 0\/3 \| 3\/3 \| yes \|/);
  assert.match(r.markdown, /\| auto:staleness \| 0\.550 ± 0\.000 \| -5\.00 \| 0\/3 \| 0\/3 \| no: 5\.00 points below the best fixed start; started XBM in 0 of 3 seeds where XBM gains more than a point \|/);
  assert.equal(r.reportRuns.length, 1 + 3 + autoPolicies().length + 1, 'seed 1: no XBM and stage B');
});

test('a given configuration skips the screen: stage A is its baseline alone, stage B uses it; the guard arm can be left out', async () => {
  const calls: PlannedRun[][] = [];
  const obtain: Obtain = async (runs) => {
    calls.push([...runs]);
    return runs.map(fake);
  };
  const configuration = { reducer: 'mean-active', adapt: 'moments' } as const;
  const r = await regimeStudy(regime, { out: 'runs/s', seeds, regimes: [regime], configuration, policies: ['scatter'], guardArm: false }, obtain);
  assert.ok(r);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[0].map((p) => p.dir.split('/').at(-1)), ['noxbm-mean-active-seed1', 'noxbm-mean-active-seed2', 'noxbm-mean-active-seed3']);
  assert.deepEqual([...new Set(calls[1].map((p) => p.dir.replace(/-seed\d$/, '').split('/').at(-1)))],
    ['xbm-mean-active-moments-50', 'xbm-mean-active-moments-100', 'xbm-mean-active-moments-150', 'xbm-mean-active-moments-auto-scatter']);
  assert.doesNotMatch(r.markdown, /Stage A, screen/);
  assert.match(r.markdown, /Configuration given, not screened: mean-active, adapt moments\./);
  assert.match(r.markdown, /\| auto:scatter \| 0\.598 ± 0\.001 \| -0\.20 \| 0\/3 \| 3\/3 \| yes \|/);
});

test('a stage whose runs are not all finished stops the regime there', async () => {
  let n = 0;
  const r = await regimeStudy(regime, { out: 'runs/s', seeds, regimes: [regime] }, async (runs) => (++n === 2 ? null : runs.map(fake)));
  assert.equal(r, null);
  assert.equal(n, 2);
});

/** `xbm-drift train <args>` as the train verb parses them, resolved. */
function trainConfigOf(args: readonly string[]): TrainConfig {
  const a = trainOptions(yargs([...args]).exitProcess(false).help(false).version(false).strict()).parseSync() as unknown as TrainFlags;
  return resolveTrainConfig({ ...a, out: String(a.out) });
}
const comparable = (c: TrainConfig) => JSON.stringify({ ...c, out: '.', name: undefined });

test('every planned run as a sweep point: its train arguments give the configuration the local study plans', (t) => {
  const out = tempDir(t);
  for (const r of xbmRegimes({ iterations: 40, fashion: 'data/fm' })) {
    const arms = [
      { reducer: 'mean-active' as const, adapt: null },
      { reducer: 'sum-per-query' as const, adapt: 'sdc' as const, start: '20' },
      { reducer: 'mean-active' as const, adapt: 'moments' as const, start: 'auto:scatter', guard: true },
    ];
    for (const arm of arms) {
      const p = xbmRunPlan(r, arm, 2, { out, backend: 'cpu' });
      const point = extendStudySweep(join(out, r.name), [p]).points.find((x) => join(out, r.name, x.name) === p.dir)!;
      assert.equal(comparable(trainConfigOf(point.args)), comparable(p.config), `${r.name} ${armName(arm)}`);
    }
  }
});

test('emitted as a sweep: the first unfinished stage becomes points of <out>/<regime>; a rerun keeps them; a changed plan is refused', async (t) => {
  const out = join(tempDir(t), 'study');
  const [small] = xbmRegimes({ iterations: 8, wanted: ['scratch-16'] });
  const lines: string[] = [];
  const o = { out, seeds: [1, 2], regimes: [small], backend: 'cpu' as const };
  const first = await runXbmStudy(o, 'plan', { log: (l) => lines.push(l) });
  const dir = join(out, 'scratch-16');
  assert.deepEqual(first.pending, [dir]);
  const sweep = readSweepFile(dir)!;
  const screen = studyReducers().length * (studyAdapts().length + 1);
  assert.equal(sweep.points.length, screen);
  assert.ok(sweep.points.every((p) => p.name.endsWith('-seed1')));
  assert.equal(readFileSync(join(dir, 'plan.tsv'), 'utf8').trim().split('\n').length, screen + 1);
  assert.ok(lines.some((l) => l.includes(`xbm-drift sweep --point <index> ${dir}`)), lines.join('\n'));
  await runXbmStudy(o, 'slurm', { log: (l) => lines.push(l), cluster: { resources: { partition: 'gpu' } } });
  assert.equal(readSweepFile(dir)!.points.length, screen, 'the same stage again: no new points');
  const sbatch = readFileSync(join(dir, 'slurm', 'sweep.sbatch'), 'utf8');
  assert.match(sbatch, new RegExp(`--array=0-${screen - 1}\\b`));
  assert.match(sbatch, /--partition=gpu/);
  assert.match(sbatch, /sweep --point "\$SLURM_ARRAY_TASK_ID"/);
  const [longer] = xbmRegimes({ iterations: 12, wanted: ['scratch-16'] });
  await assert.rejects(runXbmStudy({ ...o, regimes: [longer] }, 'plan', { log: () => {} }), (e: unknown) =>
    e instanceof UserError && e.message === studyMessages.otherPlan(dir, `${armName({ reducer: studyReducers()[0], adapt: null })}-seed1`));
});
