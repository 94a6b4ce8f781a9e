import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { trainOptions } from '../../src/cli/train.js';
import { TRAIN_CHOICES } from '../../src/config/train-config.js';
import { BACKEND_CHOICES } from '../../src/backend/choices.js';
import { DATASET_NAMES } from '../../src/data/registry.js';
import { LOSS_KINDS } from '../../src/losses/registry.js';
import { TRIPLET_MINING } from '../../src/losses/triplet.js';
import { ADAPT_KINDS } from '../../src/memory/adapt/index.js';

test("the train command's choices are the registries' lists, not copies", () => {
  const options = (trainOptions(yargs([])) as unknown as { getOptions(): { choices: Record<string, readonly string[]> } }).getOptions();
  const flags: Record<string, keyof typeof TRAIN_CHOICES> = {
    sampler: 'sampler', model: 'model', loss: 'loss', mining: 'mining', optimizer: 'optimizer',
    schedule: 'schedule', backend: 'backend', 'xbm-init': 'xbmInit', 'batch-mining': 'batchMining', index: 'index', 'xbm-adapt': 'xbmAdapt',
  };
  for (const [flag, key] of Object.entries(flags)) assert.deepEqual(options.choices[flag], TRAIN_CHOICES[key], flag);
  assert.equal(TRAIN_CHOICES.loss, LOSS_KINDS);
  assert.equal(TRAIN_CHOICES.mining, TRIPLET_MINING);
  assert.equal(TRAIN_CHOICES.backend, BACKEND_CHOICES);
  assert.equal(TRAIN_CHOICES.dataset, DATASET_NAMES);
  assert.equal(TRAIN_CHOICES.xbmAdapt, ADAPT_KINDS);
});
