import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { UserError } from '../../src/errors.js';
import { autoPolicies } from '../../src/study/arms.js';
import { join } from 'node:path';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { parseWarmupStudyArgs } from '../../src/study/warmup-study-args.js';
import { armSlug, runWarmupStudy, selectArms, warmupArms, warmupMarkdown, warmupRow } from '../../src/study/warmup-study.js';
import { tempDir } from '../helpers/tmp.js';
import { outcome } from './outcomes.js';

test('the arms: fixed starts, every registered auto policy (the default as "XBM auto"), and the default with the guard', () => {
  const arms = warmupArms(3000, [100, 300]);
  const names = arms.map((a) => a.name);
  assert.deepEqual(names.slice(0, 5), ['no XBM', 'XBM from 0', 'XBM from 100', 'XBM from 300', 'XBM auto']);
  assert.equal(names.at(-1), 'XBM auto + guard');
  for (const p of autoPolicies()) {
    const start = p === STUDY_CHOICE.policy ? 'auto' : `auto:${p}`;
    assert.ok(arms.some((a) => a.flags.xbmStart === start && !a.flags.xbmGuard), p);
  }
  // the folder names of the runs already made
  assert.deepEqual(['no XBM', 'XBM from 100', 'XBM auto', 'XBM auto + guard'].map(armSlug), ['no-xbm', 'xbm-from-100', 'xbm-auto', 'xbm-auto-guard']);
});

test('a subset by folder name; an unknown one is refused naming the known ones', () => {
  const arms = warmupArms(3000, [100]);
  assert.deepEqual(selectArms(arms, ['xbm-auto', 'no-xbm']).map((a) => a.name), ['no XBM', 'XBM auto']);
  assert.throws(() => selectArms(arms, ['xbm-sometimes']), (e: unknown) => e instanceof UserError && /unknown arm xbm-sometimes: use no-xbm, /.test(e.message));
});

test('the study.md table: eight columns, fractions to four digits', () => {
  const [arm] = warmupArms(3000, []);
  const md = warmupMarkdown('T', [warmupRow(arm, outcome(0.61234, { start: 'off', msPerIteration: 12.4, wallSeconds: 30.6 }), 'runs/w/no-xbm')]);
  assert.equal(md, 'T\n\n| arm | r_at_1 | map_at_r | collapsed | start | pauses | ms_per_iteration | wall_s |\n|---|---|---|---|---|---|---|---|\n| no XBM | 0.6123 | 0.3062 | no | off | 0 | 12 | 31 |');
});

test('emitted as a sweep: every arm a point of --out, trained into the folder the local study reuses', async (t) => {
  const out = join(tempDir(t), 'warmup');
  const o = parseWarmupStudyArgs(['--out', out, '--iterations', '12', '--snapshot-every', '2', '--starts', '4', '--backend', 'cpu', '--plan']);
  const lines: string[] = [];
  assert.equal(await runWarmupStudy(o, o.mode, { log: (l) => lines.push(l) }), null);
  const sweep = readSweepFile(out)!;
  assert.deepEqual(sweep.points.map((p) => p.name), warmupArms(3000, [4]).map((a) => armSlug(a.name)));
  assert.ok(sweep.points.every((p) => p.args.includes('--out') && p.args[p.args.indexOf('--out') + 1] === join(out, p.name)));
  assert.ok(lines.some((l) => l.includes(`xbm-drift sweep --point <index> ${out}`)), lines.join('\n'));
});
