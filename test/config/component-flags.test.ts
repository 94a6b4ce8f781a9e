/**
 * Flags follow the registries (issue 21): every flag a registered component declares (a model
 * kind's, a loss's, a compensation strategy's, a dataset's, a backend's) is a train option with its type and choices, is
 * accepted with the member that reads it, is refused in one line with any other member, and its
 * default is recorded with the member's source. A component added to its registry is covered here
 * without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { trainOptions } from '../../src/cli/train.js';
import { FLAG_FAMILIES, componentOptions, familyFlags, memberFlagValues, type FlagFamily } from '../../src/config/component-flags.js';
import { resolveTrainConfig, TRAIN_CHOICES, type TrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { BACKEND_CHOICES, THREADS_FLAG } from '../../src/backend/choices.js';
import { IMAGE_SIZE_FLAG, NORMALIZATION_FLAG } from '../../src/data/image-dataset.js';
import { DATASETS, datasetKind } from '../../src/data/registry.js';
import { UserError } from '../../src/errors.js';
import { flagKey, type FlagSpec } from '../../src/flag-spec.js';
import { WARMUP_POLICIES } from '../../src/analysis/warmup/policies/index.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { configMessages as M } from '../../src/messages/config.js';

type Declared = { key: Record<string, unknown>; string: string[]; number: string[]; boolean: string[]; choices: Record<string, readonly string[]> };
const declared = (trainOptions(yargs([])) as unknown as { getOptions(): Declared }).getOptions();

/** A dataset spec of each registered kind: 'sop' -> 'sop:/data/x', 'mnist2' -> 'mnist2'. */
const specOf = (kind: string) => {
  const d = DATASETS.find((x) => x.key.replace(/:$/, '') === kind);
  assert.ok(d, kind);
  return d.key.endsWith(':') ? `${d.key}/data/x` : d.key;
};
const sample = (spec: FlagSpec) => spec.choices?.[0] ?? (spec.type === 'number' ? 0.5 : spec.type === 'boolean' ? true : '8');
/** Whole numbers for the families whose numbers count things (an image side, threads). */
const wholeSample = (spec: FlagSpec) => (spec.type === 'number' && !spec.choices ? 2 : sample(spec));

/**
 * How each family's member is chosen in TrainFlags (with what a run needs for the family to
 * matter), how a refusal names the choice, the member's config read back, and a valid value of a flag.
 */
const CONTEXT: Record<keyof typeof FLAG_FAMILIES, { choose(kind: string): Partial<TrainFlags>; shown(kind: string): string; config(c: TrainConfig): { kind: string }; sample(spec: FlagSpec): unknown }> = {
  model: { choose: (model) => ({ model } as Partial<TrainFlags>), shown: (k) => k, config: (c) => c.model, sample },
  loss: { choose: (loss) => ({ loss } as Partial<TrainFlags>), shown: (k) => k, config: (c) => c.loss, sample },
  xbmAdapt: { choose: (xbmAdapt) => ({ xbmSize: 640, xbmStart: '10', xbmAdapt }), shown: (k) => k, config: (c) => c.xbm.adapt, sample },
  dataset: {
    choose: (kind) => ({ dataset: specOf(kind) }), shown: specOf, sample: wholeSample,
    config: (c) => ({ kind: datasetKind(c.dataset.spec) ?? '', ...c.dataset.image, ...c.dataset.settings }),
  },
  backend: { choose: (backend) => ({ backend } as Partial<TrainFlags>), shown: (k) => k, config: (c) => ({ ...c, kind: c.backend }), sample: wholeSample },
};
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
    const context = CONTEXT[name];
    for (const { spec, readers } of familyFlags(family)) {
      const value = context.sample(spec);
      for (const member of family.members) {
        const flags = { ...context.choose(member.kind), [flagKey(spec.name)]: value } as Partial<TrainFlags>;
        if (readers.includes(member.kind)) {
          const cfg = context.config(resolveWith(flags));
          assert.equal(String(memberFlagValues(family, cfg)[flagKey(spec.name)]), String(value), `${member.kind} records --${spec.name}`);
        } else {
          assert.throws(() => resolveWith(flags), (e: unknown) =>
            e instanceof UserError && e.message === family.refuse(spec.name, context.shown(member.kind), readers) && !e.message.includes('\n'), `--${spec.name} with ${family.choose} ${member.kind}`);
        }
      }
    }
  }
});

test("a member's own defaults are recorded in defaultsApplied with the member's source", () => {
  for (const [name, family] of families) {
    for (const member of family.members) {
      const applied = resolveWith(CONTEXT[name].choose(member.kind)).defaultsApplied ?? [];
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
  assert.deepEqual(declared.choices.backend, FLAG_FAMILIES.backend.members.map((m) => m.kind));
});

test('the dataset and backend families are their registries: every dataset by its kind, every backend', () => {
  assert.deepEqual(FLAG_FAMILIES.dataset.members.map((m) => m.kind), DATASETS.map((d) => d.key.replace(/:$/, '')));
  assert.equal(datasetKind('sop:/data/SOP'), 'sop');
  assert.equal(datasetKind('mnist2'), 'mnist2');
  assert.deepEqual(FLAG_FAMILIES.backend.members.map((m) => m.kind), [...BACKEND_CHOICES]);
});

test('the image datasets declare --image-size and --normalization, auto and wasm declare --threads, and the train options come from those declarations', () => {
  const readersOf = (family: FlagFamily, name: string) => familyFlags(family).find(({ spec }) => spec.name === name);
  const images = DATASETS.filter((d) => d.images).map((d) => d.key.replace(/:$/, ''));
  assert.ok(images.length >= 7, 'the image datasets');
  for (const spec of [IMAGE_SIZE_FLAG, NORMALIZATION_FLAG]) {
    const found = readersOf(FLAG_FAMILIES.dataset, spec.name);
    assert.ok(found, `--${spec.name} is declared by a dataset`);
    assert.equal(found.spec, spec);
    assert.deepEqual(found.readers, images, `--${spec.name} is read by exactly the image datasets`);
  }
  const threads = readersOf(FLAG_FAMILIES.backend, THREADS_FLAG.name);
  assert.ok(threads, '--threads is declared by a backend');
  assert.deepEqual(threads.readers, ['auto', 'wasm'], 'auto reads --threads for when it falls to wasm');
  // The help is derived: the readers and their one shared default.
  const help = Object.fromEntries(componentOptions().map(({ name, option }) => [name, String(option.describe)]));
  assert.match(help['image-size'], /\(default 224\); read by --dataset cub200, cars196/);
  assert.match(help.normalization, /\(default imagenet\); read by --dataset/);
  assert.match(help.threads, /\(default the machine's cores\); read by --backend auto, wasm/);
});

test('the defaults of a dataset\'s and a backend\'s flags are recorded where they apply, and nowhere else', () => {
  const applied = (flags: Partial<TrainFlags>) => Object.fromEntries((resolveWith(flags).defaultsApplied ?? []).map((d) => [d.flag, d]));
  const sop = applied({ dataset: 'sop:/data/x' });
  assert.deepEqual(sop['image-size'], { flag: 'image-size', value: 224, source: FLAG_FAMILIES.dataset.source('sop') });
  assert.deepEqual(sop.normalization, { flag: 'normalization', value: 'imagenet', source: FLAG_FAMILIES.dataset.source('sop') });
  assert.deepEqual(sop.threads, { flag: 'threads', value: null, source: FLAG_FAMILIES.backend.source('auto') });
  const digits = applied({ dataset: 'mnist2', backend: 'cpu' });
  for (const flag of ['image-size', 'normalization', 'threads']) assert.equal(digits[flag], undefined, `${flag}: not read by mnist2 on cpu`);
  assert.equal(resolveWith({ dataset: 'sop:/data/x' }).dataset.image, undefined, 'the defaults stay the loader\'s: config.json keeps what was given');
  assert.equal(resolveWith({ backend: 'cpu' }).threads, null);
  assert.equal(resolveWith({ backend: 'wasm', threads: 3 }).threads, 3);
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
