import type { Options } from 'yargs';
import { flagKey, type FlagSpec, type FlagValues, type GivenFlags, type TakeDefault } from '../flag-spec.js';
import { UserError } from '../errors.js';
import { BACKENDS, type BackendFlagSpec } from '../backend/choices.js';
import { DATASETS, DATASET_MEMBERS, IMAGE_DATASET_KINDS, type DatasetFlagSpec } from '../data/registry.js';
import { LOSSES, type LossFlagSpec } from '../losses/registry.js';
import { ADAPT_STRATEGIES, type AdaptFlagSpec } from '../memory/adapt/index.js';
import { configMessages as M } from '../messages/config.js';
import { MODEL_KINDS } from '../model/kinds/index.js';
import type { AppliedDefaults } from './applied-defaults.js';

/** One member of a family of components: its kind and the flags it declares (its defaults, where it keeps them, for --help). */
interface Member { readonly kind: string; readonly flags?: readonly FlagSpec[]; readonly defaults?: object }

/**
 * A kind of component chosen by one flag (--model, --loss, --xbm-adapt, --dataset, --backend), whose members each declare
 * their own flags. The train CLI's options, the typed flags (ComponentFlags) and the refusal of a
 * flag that the chosen member does not read all come from these tables: a member's flag is
 * written once, in the member's file.
 */
export interface FlagFamily {
  /** the flag choosing the member, e.g. '--model' */
  readonly choose: string;
  /** its --help group */
  readonly group: string;
  readonly members: readonly Member[];
  /** where a member's own defaults come from (config.json's defaultsApplied) */
  source(kind: string): string;
  /** the refusal when `flag` is given but the chosen member does not read it (`chosen` as given: a dataset's whole spec) */
  refuse(flag: string, chosen: string, readers: readonly string[]): string;
}

const needs = (choose: string) => (flag: string, chosen: string, readers: readonly string[]) =>
  M.flagNeeds(`--${flag}`, readers.map((r) => `${choose} ${r}`).join(' or '), `${choose} ${chosen}`);

export const FLAG_FAMILIES = {
  model: {
    choose: '--model', group: 'Model and loss:', members: MODEL_KINDS,
    source: (kind) => `the ${kind} model's own default (src/model/kinds/${kind}.ts)`,
    refuse: needs('--model'),
  },
  loss: {
    choose: '--loss', group: 'Model and loss:', members: LOSSES,
    source: (kind) => `the ${kind} loss's own default (src/losses/, registry.ts names its file)`,
    refuse: (flag, chosen, readers) => M.flagNotForLoss(flag, chosen, readers),
  },
  xbmAdapt: {
    choose: '--xbm-adapt', group: 'Cross-batch memory:', members: ADAPT_STRATEGIES,
    source: (kind) => `the ${kind} strategy's own default (src/memory/adapt/, index.ts names its file)`,
    refuse: needs('--xbm-adapt'),
  },
  dataset: {
    choose: '--dataset', group: 'Backbone and images:', members: DATASET_MEMBERS,
    source: (kind) => `the ${kind} dataset's own default (src/data/, registry.ts names its file)`,
    refuse: (flag, spec, readers) => M.flagNeeds(`--${flag}`, datasetsPhrase(readers), `--dataset ${spec}`),
  },
  backend: {
    choose: '--backend', group: 'Optimisation:', members: BACKENDS,
    source: (kind) => `the ${kind} backend's own default (src/backend/choices.ts)`,
    refuse: needs('--backend'),
  },
} as const satisfies Record<string, FlagFamily>;

/** The datasets that read a flag, as a refusal names them: 'an image dataset (cub200:, ...)' when they are exactly the image datasets. */
function datasetsPhrase(readers: readonly string[]): string {
  const usages = DATASETS.filter((d, i) => readers.includes(DATASET_MEMBERS[i].kind));
  const images = usages.length === IMAGE_DATASET_KINDS.length && usages.every((d) => d.images);
  return images ? `an image dataset (${IMAGE_DATASET_KINDS.join(', ')})` : usages.map((d) => `--dataset ${d.usage}`).join(' or ');
}

type ModelFlagSpec = (typeof MODEL_KINDS)[number]['flags'][number];
/** The typed values of every flag a component declares (part of TrainFlags). */
export type ComponentFlags = FlagValues<ModelFlagSpec | LossFlagSpec | AdaptFlagSpec | DatasetFlagSpec | BackendFlagSpec>;

/** Each flag the family's members declare, once (members may share a spec: --margin), with the members that read it. */
export function familyFlags(family: FlagFamily): { spec: FlagSpec; readers: string[] }[] {
  const out = new Map<string, { spec: FlagSpec; readers: string[] }>();
  for (const m of family.members) {
    for (const spec of m.flags ?? []) {
      const seen = out.get(spec.name);
      if (seen && seen.spec !== spec) throw new Error(`--${spec.name} is declared twice in the ${family.choose} family: share one declaration`);
      if (seen) seen.readers.push(m.kind);
      else out.set(spec.name, { spec, readers: [m.kind] });
    }
  }
  return [...out.values()];
}

/** Every component flag as a yargs option (of the given families; default all): its declaration, with the readers and their defaults added to the help. */
export function componentOptions(families: readonly FlagFamily[] = Object.values(FLAG_FAMILIES)): { name: string; group: string; option: Options }[] {
  return families.flatMap((family) => familyFlags(family).map(({ spec, readers }) => {
    const key = flagKey(spec.name);
    const withDefault = family.members.filter((m) => readers.includes(m.kind) && m.defaults && key in m.defaults);
    const valueOf = (m: Member) => String((m.defaults as Record<string, unknown>)[key]);
    // One default shared by several readers (the image datasets' 224) is said once.
    const shared = withDefault.length > 1 && withDefault.every((m) => valueOf(m) === valueOf(withDefault[0]));
    const defaults = shared ? `default ${valueOf(withDefault[0])}` : withDefault.map((m) => `${m.kind} ${valueOf(m)}`).join(', ');
    const others = family.members.filter((m) => !readers.includes(m.kind)).map((m) => m.kind);
    const where = family.members.length > 1 ? `; read by ${family.choose} ${readers.join(', ')}` : '';
    const help = `${spec.describe}${defaults !== '' ? ` (${defaults})` : ''}${others.length > 0 ? where : ''}`;
    return { name: spec.name, group: family.group, option: { type: spec.type, describe: help, ...(spec.choices ? { choices: [...spec.choices] } : {}) } };
  }));
}

/**
 * Refuses, in one line, a flag of the family given while the chosen member does not read it (it
 * would be recorded yet do nothing). `shown`: the choice as the user wrote it (a dataset's spec).
 */
export function refuseUnreadFlags(family: FlagFamily, chosen: string, given: GivenFlags, shown: string = chosen): void {
  for (const { spec, readers } of familyFlags(family)) {
    if (given[flagKey(spec.name)] !== undefined && !readers.includes(chosen)) throw new UserError(family.refuse(spec.name, shown, readers));
  }
}

/** Whether the member `kind` of the family reads the flag `name` (a config field of a flag it does not read holds no setting). */
export function memberReads(family: FlagFamily, kind: string, name: string): boolean {
  return (family.members.find((m) => m.kind === kind)?.flags ?? []).some((spec) => spec.name === name);
}

/**
 * The flags that give a member's config back (the inverse of its fromFlags: a config.json
 * re-checked as flags): each declared flag of the member `cfg.kind`, from its config field; lists
 * as '1,2,3', null as not given.
 */
export function memberFlagValues<C extends { kind: string }>(family: FlagFamily, cfg: C): Record<string, unknown> {
  const member = family.members.find((m) => m.kind === cfg.kind);
  const fields = cfg as unknown as Record<string, unknown>;
  return Object.fromEntries((member?.flags ?? []).map((spec) => {
    const v = fields[spec.field ?? flagKey(spec.name)];
    // null: a setting left to its default (threads: the machine's cores), i.e. not given
    return [flagKey(spec.name), Array.isArray(v) ? v.join(',') : v ?? undefined];
  }));
}

/** A member's config as the flags that give it on a command line (' --image-size 64'; booleans as --x / --no-x); flags without a value are left out. */
export function memberArgs<C extends { kind: string }>(family: FlagFamily, cfg: C): string {
  const values = memberFlagValues(family, cfg);
  const specs = family.members.find((m) => m.kind === cfg.kind)?.flags ?? [];
  return specs.map((spec) => {
    const v = values[flagKey(spec.name)];
    if (v === undefined) return '';
    return spec.type === 'boolean' ? ` --${v ? '' : 'no-'}${spec.name}` : ` --${spec.name} ${String(v)}`;
  }).join('');
}

/** `take` for a member's own defaults: recorded with the member's file as their source. */
export function memberTake(applied: AppliedDefaults, family: FlagFamily, kind: string): TakeDefault {
  return (flag, given, value, source) => applied.take(flag, given, value, source ?? family.source(kind));
}
