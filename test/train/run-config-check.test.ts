import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseTrainConfig, resolveTrainConfig, type TrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { PARITY_MODES } from '../../src/memory/parity/registry.js';
import { ADAPT_STRATEGIES } from '../../src/memory/adapt/index.js';
import { LOSSES } from '../../src/losses/registry.js';
import { checkRunConfig } from '../../src/train/run-config-check.js';

const BASE: TrainFlags = { out: '/tmp/xbm-drift-check/run', dataset: 'mnist2', backend: 'cpu', iterations: 50 };

/** config.json as train writes it and loadRunConfig reads it back. */
const stored = (c: TrainConfig): TrainConfig => normaliseTrainConfig(JSON.parse(JSON.stringify(c)));

test('every config a start resolves passes the resume check: losses, strategies, parity modes, optimizers, schedules, samplers, starts', () => {
  const cases: TrainFlags[] = [
    BASE,
    { ...BASE, sampler: 'shuffle', batchSize: 12, model: 'mlp', hidden: '16,8', dim: 4 },
    { ...BASE, optimizer: 'sgd', momentum: 0.5, schedule: 'step', lrStep: 10, lrGamma: 0.5, lr: 0.01 },
    { ...BASE, schedule: 'cosine', evalEvery: 0, ks: '1,5', nmi: false, snapshotEvery: 0, checkpointEvery: 7, seed: 9, backend: 'wasm', threads: 2 },
    { ...BASE, xbmSize: 128, xbmStart: '10', xbmWeight: 0.5, xbmInit: 'random', xbmGuard: true },
    { ...BASE, xbmSize: 128, xbmStart: 'off' },
    { ...BASE, xbmSize: 128, xbmStart: 'auto:staleness' },
    ...LOSSES.map((d) => ({ ...BASE, loss: d.kind })),
    ...ADAPT_STRATEGIES.map((s) => ({ ...BASE, xbmSize: 128, xbmStart: '10', xbmAdapt: s.kind })),
    ...PARITY_MODES.map((p) => ({ ...BASE, xbmSize: 128, parity: p.kind })),
  ];
  for (const flags of cases) {
    const config = resolveTrainConfig(flags);
    assert.doesNotThrow(() => checkRunConfig(stored(config), 'config.json'), JSON.stringify(flags));
  }
});

test('a config.json edited into what no start gives is refused, naming the file and the field', () => {
  const good = stored(resolveTrainConfig({ ...BASE, xbmSize: 128, xbmStart: '10' }));
  const edits: [string, (c: TrainConfig) => unknown][] = [
    ['iterations', (c) => ({ ...c, iterations: -5 })],
    ['lr', (c) => ({ ...c, optimizer: { ...c.optimizer, lr: 'fast' } })],
    ['per-class', (c) => ({ ...c, sampler: { ...c.sampler, perClass: 0 } })],
    ['xbm-weight', (c) => ({ ...c, xbm: { ...c.xbm, weight: -1 } })],
    ['ks', (c) => ({ ...c, eval: { ...c.eval, ks: [0] } })],
    ['batchSize', (c) => ({ ...c, batchSize: 99 })],
    ['xbm-start', (c) => ({ ...c, xbm: { ...c.xbm, start: { kind: 'at', iteration: 80 } } })],
  ];
  for (const [field, edit] of edits) {
    assert.throws(() => checkRunConfig(edit(good) as TrainConfig, '/r/config.json'), (e: Error) => e.message.startsWith('/r/config.json is not a configuration a run could start with') && e.message.includes(field), field);
  }
});

test('a run recorded before --threads was refused with a backend that does not read it still resumes; wasm\'s threads are still checked', () => {
  const wasm = stored(resolveTrainConfig({ ...BASE, backend: 'wasm', threads: 2 }));
  assert.throws(() => resolveTrainConfig({ ...BASE, threads: 2 }), /--threads/, 'refused at a start with --backend cpu');
  assert.doesNotThrow(() => checkRunConfig({ ...wasm, backend: 'cpu' }, 'config.json'), 'an older run: cpu with threads 2 recorded');
  assert.throws(() => checkRunConfig({ ...wasm, threads: 0 }, '/r/config.json'), (e: Error) => e.message.includes('--threads'));
});
