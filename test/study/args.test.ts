import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { REDUCER_KINDS } from '../../src/losses/reducers/registry.js';
import { ADAPT_KINDS } from '../../src/memory/adapt/index.js';
import { UserError } from '../../src/errors.js';
import { studyMessages } from '../../src/messages/study.js';
import { parseFlags } from '../../src/study/args.js';
import { autoPolicies, studyAdapts, studyReducers } from '../../src/study/arms.js';
import { parseSmartMiningStudyArgs } from '../../src/study/smart-mining-study-args.js';
import { parseWarmupStudyArgs } from '../../src/study/warmup-study-args.js';
import { parseXbmStudyArgs } from '../../src/study/xbm-study-args.js';

const refuses = (fn: () => unknown, text: string | RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UserError && (typeof text === 'string' ? e.message === text : text.test(e.message)));

test('flags: values, inline values, one mode, the words after --; refusals in one line', () => {
  const spec = { script: 's', values: ['out', 'seeds'], modes: ['plan', 'slurm'] };
  assert.deepEqual(parseFlags(['--out', 'x', '--seeds=2', '--plan', '--', '--lr', '1'], spec), { values: { out: 'x', seeds: '2' }, mode: 'plan', rest: ['--lr', '1'] });
  refuses(() => parseFlags(['--outt', 'x'], spec), studyMessages.unknownFlag('s', '--outt', ['out', 'seeds', 'plan', 'slurm']));
  refuses(() => parseFlags(['--out'], spec), studyMessages.missingValue('--out'));
  refuses(() => parseFlags(['--plan', '--slurm'], spec), studyMessages.twoModes('plan', 'slurm'));
});

test('the XBM study: defaults from the registries and the published budgets; choices checked against the registries', () => {
  const a = parseXbmStudyArgs([]);
  assert.equal(a.mode, 'local');
  assert.equal(a.options.out, 'runs/xbm-study');
  assert.deepEqual(a.options.seeds, [1, 2, 3]);
  assert.deepEqual(a.options.reducers, studyReducers());
  assert.deepEqual(a.options.adapts, studyAdapts());
  assert.deepEqual(a.options.policies, autoPolicies());
  const b = parseXbmStudyArgs(['--iterations-scratch-16', '40', '--regimes', 'scratch-16', '--seeds', '2', '--slurm', '--partition', 'gpu']);
  assert.deepEqual([b.mode, b.options.regimes[0].iterations, b.options.seeds.length, b.cluster.resources.partition], ['slurm', 40, 2, 'gpu']);
  refuses(() => parseXbmStudyArgs(['--adapts', 'moments,psychic']), /unknown --xbm-adapt strategy psychic: use none, /);
  refuses(() => parseXbmStudyArgs(['--seeds', '0']), studyMessages.badCount('seeds', '0'));
  refuses(() => parseXbmStudyArgs(['--iterations', '2']), studyMessages.badIterations('iterations', '2'));
  refuses(() => parseXbmStudyArgs(['--regimes', 'fashion-64']), /fashion-64 needs --fashion/);
  // A given configuration skips the screen: 'default' is what train uses with default flags.
  assert.equal(a.options.configuration, null);
  assert.equal(a.options.guardArm, true);
  const c = parseXbmStudyArgs(['--configuration', 'default', '--guard-arm', 'no']);
  assert.deepEqual(c.options.configuration, { reducer: STUDY_CHOICE.reducer, adapt: STUDY_CHOICE.adapt });
  assert.equal(c.options.guardArm, false);
  assert.deepEqual(parseXbmStudyArgs(['--configuration', 'sum-per-query:momentum']).options.configuration, { reducer: 'sum-per-query', adapt: 'momentum' });
  for (const bad of ['mean-active', 'mean-active:psychic', 'bogus:moments', 'mean-active:moments:x']) {
    refuses(() => parseXbmStudyArgs(['--configuration', bad]), studyMessages.badConfiguration(bad, REDUCER_KINDS, ADAPT_KINDS));
  }
  refuses(() => parseXbmStudyArgs(['--guard-arm', 'maybe']), studyMessages.badYesNo('guard-arm', 'maybe'));
});

test('the warm-up and smart-mining studies: their defaults, and unknown flags refused', () => {
  const w = parseWarmupStudyArgs(['--iterations', '60']);
  assert.deepEqual(w.starts, [10, 30]);
  assert.deepEqual([w.common.iterations, w.common.evalEvery, w.common.dataset, w.common.seed], [60, 10, 'mnist2', 1]);
  refuses(() => parseWarmupStudyArgs(['--iters', '60']), /--iters is not a warmup-study flag/);
  const s = parseSmartMiningStudyArgs(['--regimes', 'pretrained', '--iterations', '10']);
  assert.deepEqual([s.regimes.map((r) => `${r.name}:${r.iterations}`), s.arms], [['pretrained:10'], ['baseline', 'xbm', 'smart']]);
  refuses(() => parseSmartMiningStudyArgs(['--arms', 'baseline,oracle']), /unknown arm oracle/);
});
