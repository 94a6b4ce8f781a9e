import { UserError } from '../errors.js';
import { useDefault, type FlagSpec, type GivenFlags, type TakeDefault } from '../flag-spec.js';
import { configMessages } from '../messages/config.js';
import { lossesMessages as M } from '../messages/losses.js';
import type { PairMask } from './pair-loss.js';
import type { LossTerms } from './reducers/reducer.js';
import type { ReducerKind } from './reducers/registry.js';

/**
 * --margin, read by every loss with a margin on cosine similarities (each lists it in its flags;
 * the CLI declares it once). A loss's own flag is declared in its file the same way; its config
 * field has the flag's key (global-weight -> globalWeight).
 */
export const MARGIN_FLAG = { name: 'margin', type: 'number', describe: 'loss margin on cosine similarities, in [0, 2]' } as const satisfies FlagSpec;

/**
 * Everything about one loss, in its own file: its name, defaults, the flags it reads, validation,
 * the similarity scale the warm-up threshold is derived from, and its kernel on the similarity
 * matrix. The kernel does not reduce: it returns its terms (LossTerms), and a reducer
 * (reducers/registry.ts) turns them into the loss. Pure JavaScript (no tfjs), so the config and the CLI can read it without loading
 * TensorFlow.js; create-loss.ts wraps the kernel into a differentiable PairLoss.
 * Adding a loss: one file exporting a LossDefinition, and one line in registry.ts.
 */
export interface LossDefinition<C extends { kind: string }, F extends FlagSpec = FlagSpec> {
  readonly kind: C['kind'];
  /** The defaults, in one place (DEFAULTS in train-config and LOSS_DEFAULTS read them here). */
  readonly defaults: C;
  /** The train flags this loss reads, declared here (the CLI's options and typed flags come from them); any other loss's flag given with it is refused. */
  readonly flags: readonly F[];
  /** Config from the flags (defaults, through `take`, for what is not given); throws a UserError naming the flag. */
  fromFlags(flags: GivenFlags, take?: TakeDefault): C;
  /** Throws a UserError for an invalid config (one built in code, or read back from config.json). */
  validate(cfg: C): void;
  /**
   * The similarity scale the loss decides on: its margin, or what plays the margin's role (the
   * multi-similarity base lambda). The warm-up drift threshold is (scale / 4)^2.
   */
  similarityScale(cfg: C): number;
  /**
   * The reducer a loss config without one means: the one that reproduces this loss's reference
   * normalisation (config.json files from before 0.2.0, and configs built in code). `train`
   * always records its reducer; the flag's default is the XBM study's (config/study-choice.ts).
   */
  readonly defaultReducer: ReducerKind;
  /** The loss's terms on the similarity matrix S (row-major [nq, nr]), with their gradients; see reducers/reducer.ts. */
  kernel(s: Float32Array, pairs: PairMask, cfg: C): LossTerms;
}

export function assertFinite(loss: string, param: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new UserError(M.notFinite(loss, param, value));
}

/** --margin on cosine similarities of unit vectors: in [0, 2]. */
export function marginFlag(value: number | undefined, dflt: number, take: TakeDefault = useDefault): number {
  const m = take('margin', value, dflt);
  if (!(m >= 0 && m <= 2)) throw new UserError(M.marginRange(m));
  return m;
}

/** A flag with a fixed set of values. */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, choices: readonly T[], dflt: T): T {
  const v = value ?? dflt;
  if (!(choices as readonly string[]).includes(v)) throw new UserError(configMessages.unknownChoice(flag, v, choices));
  return v as T;
}
