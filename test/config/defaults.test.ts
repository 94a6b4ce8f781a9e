/**
 * The defaults follow the XBM study (issue 22): --reducer mean-active and --xbm-adapt moments when
 * not given, --parity keeps the reference implementation's own, and config.json and run.json say
 * which defaults were applied and where each came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { trainOptions } from '../../src/cli/train.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { reducerOf } from '../../src/losses/registry.js';
import { researchXbm } from '../../src/memory/parity/research-xbm.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const resolveWith = (flags: Partial<TrainFlags>) => resolveTrainConfig({ out: '/tmp/xbm-drift-unused', ...flags });
const appliedOf = (flags: Partial<TrainFlags>) => Object.fromEntries((resolveWith(flags).defaultsApplied ?? []).map((d) => [d.flag, d]));

test('the CLI and the demo read one study choice (config/study-choice.ts): mean-active and moments', () => {
  assert.equal(STUDY_CHOICE.reducer, 'mean-active');
  assert.equal(STUDY_CHOICE.adapt, 'moments', 'the study: mean-active with moments best in 3 of 5 regimes, momentum in 2');
});

test('not given, --reducer is the study\'s for contrastive and multi-similarity, and --xbm-adapt is the study\'s with a memory', () => {
  for (const loss of ['contrastive', 'multi-similarity', 'triplet'] as const) {
    const config = resolveWith({ loss, xbmSize: 640 });
    assert.equal(config.loss.reducer, STUDY_CHOICE.reducer, loss);
    assert.deepEqual(config.xbm.adapt, { kind: STUDY_CHOICE.adapt }, loss);
  }
  assert.deepEqual(resolveWith({}).xbm.adapt, { kind: 'none' }, 'no memory: nothing to compensate');
  assert.equal(resolveWith({ reducer: 'sum-per-query' }).loss.reducer, 'sum-per-query', 'the old behaviour, asked for');
  assert.deepEqual(resolveWith({ xbmSize: 640, xbmAdapt: 'none' }).xbm.adapt, { kind: 'none' });
});

test('a config.json from before 0.2.0 (no reducer) still means the loss\'s reference reducer: old runs resume as they were run', () => {
  assert.equal(reducerOf({ kind: 'contrastive', margin: 0.5 }), 'sum-per-query');
  assert.equal(reducerOf({ kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 } as never), 'sum-per-query');
});

test('--parity research-xbm keeps the paper\'s code: its reducer, no compensation, and no study default recorded for either', () => {
  const config = resolveWith({ xbmSize: 640, parity: 'research-xbm' });
  assert.equal(config.loss.reducer, researchXbm.reducer);
  assert.equal(config.loss.reducer, 'sum-per-query');
  assert.deepEqual(config.xbm.adapt, { kind: 'none' });
  const applied = Object.fromEntries((config.defaultsApplied ?? []).map((d) => [d.flag, d]));
  assert.equal(applied.reducer, undefined, 'the parity mode set it');
  assert.match(applied['xbm-adapt'].source, /--parity research-xbm/);
  for (const p of ['pml', 'tf-similarity']) assert.deepEqual(resolveWith({ xbmSize: 640, parity: p }).xbm.adapt, { kind: 'none' }, p);
});

test('defaultsApplied: every default applied, with its source; nothing that was given; every flag a real train option', () => {
  const applied = appliedOf({ xbmSize: 640 });
  assert.deepEqual(applied.reducer, { flag: 'reducer', value: 'mean-active', source: STUDY_CHOICE.source.reducer });
  assert.deepEqual(applied['xbm-adapt'], { flag: 'xbm-adapt', value: 'moments', source: STUDY_CHOICE.source.adapt });
  assert.match(applied.reducer.source, /23 of 25/);
  assert.equal(applied.margin.value, 0.5);
  assert.equal(applied['xbm-start'].value, 'auto');
  assert.equal(applied.lr.value, 1e-3);
  assert.equal(applied['xbm-size'], undefined, 'given');
  const given = appliedOf({ reducer: 'mean', lr: 0.01, xbmSize: 640, xbmAdapt: 'sdc' });
  for (const flag of ['reducer', 'lr', 'xbm-size', 'xbm-adapt']) assert.equal(given[flag], undefined, flag);
  const none = appliedOf({});
  for (const flag of ['xbm-adapt', 'xbm-init', 'xbm-weight', 'xbm-start', 'momentum', 'backbone-lr-mult']) assert.equal(none[flag], undefined, `${flag}: not applied without what it needs`);
  const options = (trainOptions(yargs([])) as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
  for (const d of resolveWith({ xbmSize: 640, optimizer: 'sgd', schedule: 'step', batchMining: 'smart', index: 'exact' }).defaultsApplied ?? []) {
    assert.ok(d.flag in options, `${d.flag} is a train flag`);
    assert.ok(d.source.length > 0, d.flag);
  }
});

test('run.json records the defaults applied at training start, as config.json does', async (t) => {
  const out = join(tempDir(t), 'run');
  const r = await runCli(['train', ...tinyTrain({ '--iterations': '2', '--xbm-size': '16', '--xbm-start': '0', '--out': out })]);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(run.defaultsApplied, config.defaultsApplied);
  const byFlag = Object.fromEntries(run.defaultsApplied.map((d: { flag: string }) => [d.flag, d]));
  assert.deepEqual(byFlag.reducer, { flag: 'reducer', value: 'mean-active', source: STUDY_CHOICE.source.reducer });
  assert.deepEqual(byFlag['xbm-adapt'], { flag: 'xbm-adapt', value: 'moments', source: STUDY_CHOICE.source.adapt });
  assert.equal(byFlag['xbm-start'], undefined, 'given');
  assert.equal(config.loss.reducer, 'mean-active');
});
