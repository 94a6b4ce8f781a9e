import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContrastiveLoss, KernelLoss, LOSS_DEFAULTS, LOSS_KINDS, MultiSimilarityLoss, TripletLoss, createLoss, type LossConfig,
} from '../../src/losses/create-loss.js';
import { lossesMessages as M } from '../../src/messages/losses.js';
import { userError } from './harness.js';

test('defaults: XBM contrastive margin 0.5, triplet 0.1 with all triplets, MS 2 / 50 / 0.5 / 0.1, triplet-global as triplet plus weight 1 and margin 0.4', () => {
  assert.deepEqual(LOSS_DEFAULTS.contrastive, { kind: 'contrastive', margin: 0.5 });
  assert.deepEqual(LOSS_DEFAULTS.triplet, { kind: 'triplet', margin: 0.1, mining: 'all' });
  assert.deepEqual(LOSS_DEFAULTS['multi-similarity'], { kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 });
  assert.deepEqual(LOSS_DEFAULTS['triplet-global'], { kind: 'triplet-global', margin: 0.1, mining: 'all', globalWeight: 1, globalMargin: 0.4 });
  assert.deepEqual(LOSS_KINDS, ['contrastive', 'triplet', 'multi-similarity', 'triplet-global']);
});

test('createLoss builds the registered loss with its configuration and name', () => {
  const configs: LossConfig[] = [
    { kind: 'contrastive', margin: 0.3 },
    { kind: 'triplet', margin: 0.2, mining: 'semi-hard' },
    { kind: 'multi-similarity', alpha: 1, beta: 40, base: 0.4, epsilon: 0.2 },
  ];
  for (const cfg of configs) {
    const loss = createLoss(cfg);
    assert.ok(loss instanceof KernelLoss);
    assert.equal(loss.name, cfg.kind);
    assert.deepEqual(loss.config, cfg);
  }
});

test("the library API's named classes build the same configurations", () => {
  const c = new ContrastiveLoss(0.3);
  assert.ok(c.margin === 0.3 && c.name === 'contrastive');
  assert.deepEqual(c.config, { kind: 'contrastive', margin: 0.3 });
  const t = new TripletLoss(0.2, 'semi-hard');
  assert.ok(t.margin === 0.2 && t.mining === 'semi-hard' && t.name === 'triplet');
  assert.deepEqual(t.config, { kind: 'triplet', margin: 0.2, mining: 'semi-hard' });
  const ms = new MultiSimilarityLoss({ alpha: 1, beta: 40, base: 0.4, epsilon: 0.2 });
  assert.equal(ms.name, 'multi-similarity');
  assert.deepEqual(ms.config, { kind: 'multi-similarity', alpha: 1, beta: 40, base: 0.4, epsilon: 0.2 });
});

test('invalid configurations are rejected with the defined messages', () => {
  const bad = (cfg: unknown, message: string) => assert.throws(() => createLoss(cfg as LossConfig), userError(message));
  bad({ kind: 'arcface' }, M.unknownKind('arcface', LOSS_KINDS));
  bad({ kind: 'contrastive', margin: NaN }, M.notFinite('contrastive', 'margin', NaN));
  bad({ kind: 'triplet', margin: -0.1, mining: 'all' }, M.negative('triplet', 'margin', -0.1));
  bad({ kind: 'triplet', margin: 0.1, mining: 'easy' }, M.unknownMining('easy', ['all', 'semi-hard', 'hard']));
  bad({ ...LOSS_DEFAULTS['multi-similarity'], alpha: 0 }, M.notPositive('multi-similarity', 'alpha', 0));
  bad({ ...LOSS_DEFAULTS['multi-similarity'], beta: -1 }, M.notPositive('multi-similarity', 'beta', -1));
  bad({ ...LOSS_DEFAULTS['multi-similarity'], epsilon: -0.5 }, M.negative('multi-similarity', 'epsilon', -0.5));
  bad({ ...LOSS_DEFAULTS['multi-similarity'], base: Infinity }, M.notFinite('multi-similarity', 'base', Infinity));
});
