/**
 * Flags follow the registries (issue 21): every flag a registered component declares (a model
 * kind's, a loss's, a compensation strategy's) is a train option with its type and choices, is
 * accepted with the member that reads it, is refused in one line with any other member, and its
 * default is recorded with the member's source. A component added to its registry is covered here
 * without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { trainOptions } from '../../src/cli/train.js';
import { FLAG_FAMILIES, familyFlags, memberFlagValues, type FlagFamily } from '../../src/config/component-flags.js';
import { resolveTrainConfig, TRAIN_CHOICES, type TrainFlags } from '../../src/config/train-config.js';
import { DATASETS } from '../../src/data/registry.js';
import { UserError } from '../../src/errors.js';
import { flagKey, type FlagSpec } from '../../src/flag-spec.js';
import { WARMUP_POLICIES } from '../../src/analysis/warmup/policies/index.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { configMessages as M } from '../../src/messages/config.js';

type Declared = { key: Record<string, unknown>; string: string[]; number: string[]; boolean: string[]; choices: Record<string, readonly string[]> };
const declared = (trainOptions(yargs([])) as unknown as { getOptions(): Declared }).getOptions();

/** What each family's choosing flag is in TrainFlags, and what a run needs for that family to matter. */
const CONTEXT: Record<keyof typeof FLAG_FAMILIES, { key: keyof TrainFlags; extra: Partial<TrainFlags> }> = {
  model: { key: 'model', extra: {} },
  loss: { key: 'loss', extra: {} },
  xbmAdapt: { key: 'xbmAdapt', extra: { xbmSize: 640, xbmStart: '10' } },
};
const sample = (spec: FlagSpec) => spec.choices?.[0] ?? (spec.type === 'number' ? 0.5 : spec.type === 'boolean' ? true : '8');
const resolveWith = (flags: Partial<TrainFlags>) => resolveTrainConfig({ out: '/tmp/xbm-drift-unused', ...flags });
const families = Object.entries(FLAG_FAMILIES) as [keyof typeof FLAG_FAMILIES, FlagFamily][];

test('every flag a registered component declares is a train option with its declared type and choices', () => {
  let n = 0;
  for (const [, family] of families) {
    for (const { spec } of familyFlags(family)) {
      assert.ok(spec.name in declared.key, `--${spec.name} is a train option`);
      if (spec.choices) assert.deepEqual(declared.choices[spec.name], [...spec.choices], spec.name);
      else assert.ok(declared[spec.type].includes(spec.name), `--${spec.name} is a ${spec.type}`);
      n++;
    }
  }
  assert.ok(n >= 5, `${n} component flags`);
});

test('a component flag is accepted with each member that declares it, recorded in its config, and refused in one line with every other member', () => {
  for (const [name, family] of families) {
    const { key, extra } = CONTEXT[name];
    for (const { spec, readers } of familyFlags(family)) {
      const value = sample(spec);
      for (const member of family.members) {
        const flags = { ...extra, [key]: member.kind, [flagKey(spec.name)]: value } as Partial<TrainFlags>;
        if (readers.includes(member.kind)) {
          const config = resolveWith(flags);
          const cfg = name === 'model' ? config.model : name === 'loss' ? config.loss : config.xbm.adapt;
          assert.equal(String(memberFlagValues(family, cfg)[flagKey(spec.name)]), String(value), `${member.kind} records --${spec.name}`);
        } else {
          assert.throws(() => resolveWith(flags), (e: unknown) =>
            e instanceof UserError && e.message === family.refuse(spec.name, member.kind, readers) && !e.message.includes('\n'), `--${spec.name} with ${family.choose} ${member.kind}`);
        }
      }
    }
  }
});

test("a member's own defaults are recorded in defaultsApplied with the member's source", () => {
  for (const [name, family] of families) {
    const { key, extra } = CONTEXT[name];
    for (const member of family.members) {
      const applied = resolveWith({ ...extra, [key]: member.kind } as Partial<TrainFlags>).defaultsApplied ?? [];
      for (const spec of member.flags ?? []) {
        const d = applied.find((a) => a.flag === spec.name);
        assert.ok(d, `${family.choose} ${member.kind}: --${spec.name}'s default recorded`);
        assert.equal(d.source, family.source(member.kind));
      }
    }
  }
});

test('the choosing flags list exactly the registered members', () => {
  assert.deepEqual(declared.choices.model, FLAG_FAMILIES.model.members.map((m) => m.kind));
  assert.deepEqual(declared.choices.loss, FLAG_FAMILIES.loss.members.map((m) => m.kind));
  assert.deepEqual(declared.choices['xbm-adapt'], FLAG_FAMILIES.xbmAdapt.members.map((m) => m.kind));
  assert.deepEqual([...TRAIN_CHOICES.dataset], DATASETS.map((d) => d.usage));
});

test('every registered dataset: the image flags are accepted for image datasets and refused, naming them, for the others', () => {
  for (const d of DATASETS) {
    const spec = d.key.endsWith(':') ? `${d.key}/data/x` : d.key;
    if (d.images) assert.deepEqual(resolveWith({ dataset: spec, imageSize: 64 }).dataset.image, { size: 64 }, spec);
    else {
      assert.throws(() => resolveWith({ dataset: spec, imageSize: 64 }), (e: unknown) =>
        e instanceof UserError && e.message.startsWith('--image-size only applies with an image dataset') && DATASETS.filter((x) => x.images).every((x) => e.message.includes(x.key)), spec);
    }
  }
});

test('every registered policy: an unknown parameter in --xbm-start auto:<policy>:... is refused, naming its parameters', () => {
  for (const p of WARMUP_POLICIES) {
    const text = `auto:${p.kind}:bogus=1`;
    assert.throws(() => resolveWith({ xbmSize: 640, xbmStart: text }), (e: unknown) =>
      e instanceof UserError && e.message === M.badAutoPolicy(text, analysisMessages.unknownPolicyParameter(p.kind, 'bogus', p.parameters.map((q) => q.key))), p.kind);
  }
});
