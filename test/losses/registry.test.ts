import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { LOSSES, LOSS_DEFAULTS, LOSS_KINDS, lossDefinition, similarityScale } from '../../src/losses/registry.js';
import { lossesMessages as M } from '../../src/messages/losses.js';
import { configMessages } from '../../src/messages/config.js';
import { userError } from './harness.js';

test('the registry is the one list of losses: kinds and defaults come from each loss file', () => {
  assert.deepEqual(LOSS_KINDS, LOSSES.map((d) => d.kind));
  for (const d of LOSSES) {
    assert.equal(LOSS_DEFAULTS[d.kind], d.defaults);
    assert.equal(lossDefinition(d.kind), d);
    assert.deepEqual(d.fromFlags({}), d.defaults, `${d.kind}: no flags gives the defaults`);
  }
  assert.throws(() => lossDefinition('arcface'), userError(M.unknownKind('arcface', LOSS_KINDS)));
});

test('similarityScale: the margin, or the multi-similarity base', () => {
  assert.equal(similarityScale({ kind: 'contrastive', margin: 0.4 }), 0.4);
  assert.equal(similarityScale({ kind: 'triplet', margin: 0.2, mining: 'hard' }), 0.2);
  assert.equal(similarityScale({ ...LOSS_DEFAULTS['multi-similarity'], base: 0.7 }), 0.7);
});

test('fromFlags reads the flags a loss declares and checks them, naming the flag', () => {
  assert.deepEqual(lossDefinition('triplet').fromFlags({ margin: 0.3, mining: 'hard' }), { kind: 'triplet', margin: 0.3, mining: 'hard' });
  assert.deepEqual(lossDefinition('contrastive').fromFlags({ margin: 0 }), { kind: 'contrastive', margin: 0 });
  assert.throws(() => lossDefinition('contrastive').fromFlags({ margin: 2.5 }), userError(M.marginRange(2.5)));
  assert.throws(() => lossDefinition('triplet').fromFlags({ mining: 'easy' }), userError(configMessages.unknownChoice('--mining', 'easy', ['all', 'semi-hard', 'hard'])));
  assert.deepEqual(lossDefinition('multi-similarity').flags, []);
});

test('the registry loads without TensorFlow.js, so flags are checked before tfjs starts', () => {
  const script = "await import('./src/losses/registry.ts'); await import('./src/config/train-config.ts'); console.log(String(globalThis._tfengine !== undefined));";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.trim(), 'false');
  const withTf = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script.replace('registry.ts', 'create-loss.ts')], { encoding: 'utf8' });
  assert.equal(withTf.trim(), 'true'); // the probe can see tfjs when it is loaded
});
