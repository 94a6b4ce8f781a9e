import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { contrastive } from './contrastive.js';
import type { LossDefinition } from './loss-definition.js';
import { multiSimilarity } from './multi-similarity.js';
import { reducerDefinition, type ReducerKind } from './reducers/registry.js';
import type { SelfExclusion } from './self-exclusion.js';
import { triplet } from './triplet.js';
import { tripletGlobal } from './triplet-global.js';

/**
 * Every loss the toolkit knows, one line each. A new loss is one file exporting a LossDefinition
 * (see loss-definition.ts) and one line here; the config, the CLI's --loss choices, createLoss and
 * the warm-up threshold all read this table. No tfjs here: the CLI validates flags without it.
 */
export const LOSSES = [contrastive, triplet, multiSimilarity, tripletGlobal] as const;

type ConfigOf<D> = D extends LossDefinition<infer C, infer _F> ? C : never;
/**
 * A loss as configured: the union of the registered losses' configs, each with an optional
 * reducer (reducers/registry.ts) and self-pair exclusion (self-exclusion.ts); absent means the
 * loss's defaultReducer and exclusion by index, so a config.json from before either existed reads
 * as it was run.
 */
export type LossConfig = ConfigOf<(typeof LOSSES)[number]> & { reducer?: ReducerKind; selfExclusion?: SelfExclusion };
export type LossKind = LossConfig['kind'];
/** Every flag a registered loss declares (the union of their specs). */
export type LossFlagSpec = (typeof LOSSES)[number]['flags'][number];

export const LOSS_KINDS: readonly LossKind[] = LOSSES.map((d) => d.kind);

/** Each loss's defaults, by kind (from the loss's own file). */
export const LOSS_DEFAULTS = Object.fromEntries(LOSSES.map((d) => [d.kind, d.defaults])) as {
  readonly [C in LossConfig as C['kind']]: Readonly<C>;
};

/** The registered loss of this kind, or a UserError listing the known ones. */
export function lossDefinition<K extends LossKind>(kind: K): LossDefinition<Extract<LossConfig, { kind: K }>>;
export function lossDefinition(kind: string): LossDefinition<LossConfig>;
export function lossDefinition(kind: string): LossDefinition<LossConfig> {
  const def = LOSSES.find((d) => d.kind === kind);
  if (!def) throw new UserError(M.unknownKind(String(kind), LOSS_KINDS));
  return def as unknown as LossDefinition<LossConfig>;
}

/**
 * The similarity scale of a configured loss: its margin, or multi-similarity's base lambda (it has
 * no margin; its pair weights switch around the base). The one place that knows which is which;
 * the warm-up drift threshold (analysis/warmup/threshold.ts) is derived from it.
 */
export function similarityScale(cfg: LossConfig): number {
  return lossDefinition(cfg.kind).similarityScale(cfg);
}

/** The reducer a configured loss uses: its own, or the loss's default. Throws a UserError for an unknown one. */
export function reducerOf(cfg: LossConfig): ReducerKind {
  return reducerDefinition(cfg.reducer ?? lossDefinition(cfg.kind).defaultReducer).kind;
}
