import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataMessages } from '../../src/messages/data.js';
import { DATASET_NAMES } from '../../src/data/registry.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analysisMessages } from '../../src/messages/analysis.js';
import { WARMUP_POLICY_USAGES } from '../../src/analysis/warmup/policies/index.js';
import {
  DEFAULTS, MAX_TENSOR_BYTES, TRAIN_CHOICES, normaliseTrainConfig, resolveTrainConfig, type TrainFlags,
} from '../../src/config/train-config.js';
import { UserError } from '../../src/errors.js';
import { LOSS_DEFAULTS } from '../../src/losses/registry.js';
import { configMessages as M } from '../../src/messages/config.js';
import { lossesMessages } from '../../src/messages/losses.js';
import { tempDir } from '../helpers/tmp.js';

const resolveWith = (flags: Partial<TrainFlags>) => resolveTrainConfig({ out: '/tmp/xbm-drift-unused', ...flags });
/** Asserts a one-line UserError with exactly this message. */
const refuses = (flags: Partial<TrainFlags>, message: string) =>
  assert.throws(() => resolveWith(flags), (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });

test('--xbm-start auto:<policy> is parsed into a typed policy by the config, and a bad one is refused there', (t) => {
  // No --xbm-start with a memory: auto, the study's choice (config/study-choice.ts), trial since 0.3.0.
  assert.deepEqual(resolveWith({ xbmSize: 640 }).xbm.start, { kind: 'auto', policy: { kind: 'trial', ratio: 1, window: 1 } });
  assert.deepEqual(resolveWith({ xbmSize: 640, xbmStart: 'auto:staleness' }).xbm.start, { kind: 'auto', policy: { kind: 'staleness', window: 3 } });
  assert.deepEqual(resolveWith({ xbmSize: 640, xbmStart: 'auto:plateau:window=4' }).xbm.start,
    { kind: 'auto', policy: { kind: 'plateau', relativeChange: 0.1, window: 4 } });
  assert.deepEqual(resolveWith({ xbmSize: 640, xbmStart: 'auto:fixed:20' }).xbm.start, { kind: 'auto', policy: { kind: 'fixed', start: 20 } });
  const out = join(tempDir(t), 'run');
  const cases: [string, string][] = [
    ['auto:bogus', analysisMessages.unknownPolicy('bogus', WARMUP_POLICY_USAGES)],
    ['auto:staleness:threshold=-1', 'The staleness threshold must be in (0, 4] (the drift of unit vectors is at most 4), got -1.'],
    ['auto:plateau:window=0', 'The plateau window must be an integer >= 2, got 0.'],
    ['auto:fixed:abc', "The fixed start must be a number, got 'abc'."],
  ];
  for (const [spec, reason] of cases) {
    assert.throws(() => resolveTrainConfig({ out, xbmSize: 640, xbmStart: spec }), { name: 'UserError', message: M.badAutoPolicy(spec, reason) });
  }
  assert.ok(!existsSync(out), 'nothing written');
});

test('config.json from older versions holds the policy as text: normaliseTrainConfig parses it', () => {
  const config = resolveWith({ xbmSize: 640 });
  const old = JSON.parse(JSON.stringify({ ...config, xbm: { ...config.xbm, start: { kind: 'auto', policy: 'plateau:window=5' } } }));
  assert.deepEqual(normaliseTrainConfig(old).xbm.start, { kind: 'auto', policy: { kind: 'plateau', relativeChange: 0.1, window: 5 } });
  const current = JSON.parse(JSON.stringify(config));
  assert.deepEqual(normaliseTrainConfig(current), current);
  const fixedStart = JSON.parse(JSON.stringify(resolveWith({ xbmSize: 640, xbmStart: '7' })));
  assert.deepEqual(normaliseTrainConfig(fixedStart), fixedStart);
  assert.throws(() => normaliseTrainConfig({ ...old, xbm: { ...old.xbm, start: { kind: 'auto', policy: 'bogus' } } }),
    { name: 'UserError', message: analysisMessages.unknownPolicy('bogus', WARMUP_POLICY_USAGES) });
  assert.throws(() => normaliseTrainConfig({ ...old, xbm: { ...old.xbm, start: { kind: 'auto', policy: { kind: 'plateau', relativeChange: 0.1, window: 0 } } } }),
    { name: 'UserError', message: 'The plateau window must be an integer >= 2, got 0.' });
});

test('sizes: a tensor over 1 GiB is refused up front with one line naming the flag and the largest value that fits', () => {
  // The CNN head is [128, dim]; 2^30 bytes / 4 / 128 = 2,097,152.
  refuses({ dim: 1e9 }, M.tensorTooLarge('--dim', 1e9, 'the embedding head', [128, 1e9], 2097152));
  // The memory [M, 64] holds at most 2^30 / 4 / 64 = 4,194,304 rows; a batch's similarities [64, 64 + M] bind first.
  refuses({ xbmSize: 1e12 }, M.tensorTooLarge('--xbm-size', 1e12, 'the memory', [1e12, 64], 4194240));
  refuses({ xbmSize: 4194241, xbmStart: '0' }, M.tensorTooLarge('--xbm-size', 4194241, "a batch's similarities", [64, 64 + 4194241], 4194240));
  assert.equal(resolveWith({ xbmSize: 4194240, xbmStart: '0' }).xbm.size, 4194240);
  assert.equal(64 * (64 + 4194240) * 4 <= MAX_TENSOR_BYTES, true);
  refuses({ batchSize: 16388 }, M.tensorTooLarge('--batch-size', 16388, "a batch's similarities", [16388, 16388], 16384));
  refuses({ dim: 1024, probeSize: 300000 }, M.tensorTooLarge('--probe-size', 300000, 'a probe snapshot', [300000, 1024], 262144));
  assert.match(M.tensorTooLarge('--xbm-size', 1e12, 'the memory', [1e12, 64], 4194240), /\(233 TiB\)/);
});

test('a fixed start at or after the last iteration is refused: XBM would never run', () => {
  refuses({ xbmSize: 640, xbmStart: '500', iterations: 30 }, M.startAfterEnd('500', 500, 30));
  refuses({ xbmSize: 640, xbmStart: '30', iterations: 30 }, M.startAfterEnd('30', 30, 30));
  refuses({ xbmSize: 640, xbmStart: 'auto:fixed:40', iterations: 30 }, M.startAfterEnd('auto:fixed:40', 40, 30));
  assert.deepEqual(resolveWith({ xbmSize: 640, xbmStart: '29', iterations: 30 }).xbm.start, { kind: 'at', iteration: 29 });
});

test('flags that the chosen schedule, optimizer or loss would ignore are refused, naming the fix', () => {
  refuses({ lrStep: 100 }, M.flagNeeds('--lr-step', '--schedule step', '--schedule constant'));
  refuses({ schedule: 'cosine', lrGamma: 0.5 }, M.flagNeeds('--lr-gamma', '--schedule step', '--schedule cosine'));
  refuses({ momentum: 0.5 }, M.flagNeeds('--momentum', '--optimizer sgd', '--optimizer adam'));
  refuses({ loss: 'multi-similarity', margin: 0.2 }, M.flagNotForLoss('margin', 'multi-similarity', ['contrastive', 'triplet', 'triplet-global']));
  refuses({ mining: 'hard' }, M.flagNotForLoss('mining', 'contrastive', ['triplet', 'triplet-global']));
  refuses({ xbmWeight: 0.5 }, M.flagNeeds('--xbm-weight', '--xbm-size M (a memory)', '--xbm-size 0'));
  refuses({ xbmInit: 'random' }, M.flagNeeds('--xbm-init', '--xbm-size M (a memory)', '--xbm-size 0'));
  refuses({ xbmGuard: true }, M.flagNeeds('--xbm-guard', '--xbm-size M (a memory)', '--xbm-size 0'));
  assert.deepEqual(resolveWith({ schedule: 'step', lrStep: 100, lrGamma: 0.5 }).schedule, { kind: 'step', every: 100, gamma: 0.5 });
  assert.equal(resolveWith({ optimizer: 'sgd', momentum: 0.5 }).optimizer.momentum, 0.5);
  assert.deepEqual(resolveWith({ loss: 'triplet', margin: 0.2, mining: 'hard' }).loss, { kind: 'triplet', margin: 0.2, mining: 'hard', reducer: 'mean-active' });
  refuses({ margin: 3 }, lossesMessages.marginRange(3));
});

test('choice lists come from the registries, and unknown values are refused with them', () => {
  refuses({ loss: 'contrastiv' as never }, M.unknownChoice('--loss', 'contrastiv', TRAIN_CHOICES.loss));
  refuses({ backend: 'tpu' as never }, M.unknownBackend('tpu', TRAIN_CHOICES.backend));
  refuses({ sampler: 'foo' as never }, M.unknownChoice('--sampler', 'foo', TRAIN_CHOICES.sampler));
  refuses({ dataset: 'cifar' }, dataMessages.unknownDataset('cifar', DATASET_NAMES));
  assert.match(dataMessages.unknownDataset('cifar', DATASET_NAMES), /mnist2, mnist3, idx:<folder>, cub200:<root>/);
  assert.equal(resolveWith({ dataset: 'idx:/data/fashion' }).dataset.spec, 'idx:/data/fashion');
  assert.deepEqual(resolveWith({ loss: 'multi-similarity' }).loss, { ...LOSS_DEFAULTS['multi-similarity'], reducer: 'mean-active' });
  assert.equal(DEFAULTS.margin.triplet, LOSS_DEFAULTS.triplet.margin);
});
