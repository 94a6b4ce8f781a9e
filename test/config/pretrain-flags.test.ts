/** `pretrain` resolves its flags with the train flags' own resolvers (config/), so both verbs refuse the same input alike. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePretrainConfig } from '../../src/cli/pretrain.js';
import { FLAG_FAMILIES, familyFlags } from '../../src/config/component-flags.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { flagKey } from '../../src/flag-spec.js';
import { UserError } from '../../src/errors.js';

const base = { out: '/tmp/xbm-drift-unused', overwrite: false, quiet: true };
/** The message resolving `flags` throws, or null. */
const refusal = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.message;
  }
};

test('pretrain refuses a model kind\'s flag given with another kind, exactly as train does, for every registered kind', () => {
  let n = 0;
  for (const { spec, readers } of familyFlags(FLAG_FAMILIES.model)) {
    for (const m of FLAG_FAMILIES.model.members.filter((k) => !readers.includes(k.kind))) {
      const flags = { model: m.kind, [flagKey(spec.name)]: '8' } as never;
      const fromPretrain = refusal(() => resolvePretrainConfig({ ...base, ...(flags as object) }));
      assert.ok(fromPretrain, `--${spec.name} with --model ${m.kind} refused`);
      assert.equal(fromPretrain, refusal(() => resolveTrainConfig({ out: base.out, ...(flags as object) })));
      n++;
    }
  }
  assert.ok(n >= 2);
});

test('pretrain checks datasets, image flags, backends and numbers with the train resolvers\' messages', () => {
  for (const flags of [{ dataset: 'cifar' }, { imageSize: 64 }, { backend: 'tpu' }, { lr: -1 }, { threads: 0 }, { backend: 'cpu', threads: 2 }, { dataset: 'sop:/d', imageSize: 0 }]) {
    const fromPretrain = refusal(() => resolvePretrainConfig({ ...base, ...(flags as object) }));
    assert.ok(fromPretrain, JSON.stringify(flags));
    assert.equal(fromPretrain, refusal(() => resolveTrainConfig({ out: base.out, dataset: 'mnist', ...(flags as object) })), JSON.stringify(flags));
  }
  const ok = resolvePretrainConfig({ ...base, model: 'mlp', hidden: '16,8' } as never);
  assert.deepEqual(ok.model, { kind: 'mlp', hidden: [16, 8], dim: 1 });
  assert.match(ok.command, /--model mlp --hidden 16,8/);
});

test('pretrain reads the dataset\'s and the backend\'s declared flags, and records the dataset\'s in its command line', () => {
  const c = resolvePretrainConfig({ ...base, dataset: 'sop:/data/SOP', imageSize: 64, normalization: 'none', backend: 'wasm', threads: 2 } as never);
  assert.deepEqual(c.image, { size: 64, normalization: 'none' });
  assert.equal(c.threads, 2);
  assert.match(c.command, /--dataset sop:\/data\/SOP .* --image-size 64 --normalization none --out /);
  assert.equal(resolvePretrainConfig({ ...base }).threads, undefined, 'not given: the machine\'s cores');
});
