import type { ContrastiveNegativeValue } from '../../losses/contrastive.js';
import type { ReducerKind } from '../../losses/reducers/registry.js';
import type { SelfExclusion } from '../../losses/self-exclusion.js';
import type { XbmAdaptKind } from '../adapt/index.js';

/**
 * A parity mode (--parity): every behaviour in which one reference implementation of XBM differs
 * from the others, set at once, so a run reproduces that implementation's definition. One file
 * per implementation, listed in registry.ts. No tfjs here (the config reads it).
 *
 * Without --parity the toolkit's own behaviour applies: the XBM study's reducer and memory
 * compensation (config/study-choice.ts), self-pairs excluded by index, relu(s - margin) as a contrastive negative's value, L(b, b) + w L(b, M) with
 * the batch enqueued first, and `--xbm-start N` meaning "the memory from step N + 1 on".
 */
export interface ParityMode<K extends string = string> {
  readonly kind: K;
  /** one line for --help */
  readonly describe: string;
  /** how the implementation reduces a loss's terms */
  readonly reducer: ReducerKind;
  /** how a query's pair with itself is left out */
  readonly selfExclusion: SelfExclusion;
  /** the value a mined contrastive negative adds (the gradient is 1 either way) */
  readonly contrastiveNegative: ContrastiveNegativeValue;
  /** the memory compensation it has (--xbm-adapt's default under this mode; none: features stay as written) */
  readonly adapt: XbmAdaptKind;
  /** how the batch and memory terms make the loss */
  readonly combine: XbmCombine;
  /** the start the implementation fixes (no warm-up: 0); absent: --xbm-start as given */
  readonly fixedStart?: number;
  /** whether the memory term has a weight of its own (--xbm-weight); false: one loss, weight 1 */
  readonly memoryWeight: boolean;
}

/**
 * 'batch-plus-memory': L(b, b) + w L(b, M), the batch enqueued (detached) before the memory term
 * (research-xbm, ours). 'memory-only': one L(b, M) with the batch's detached copy in M (PML's
 * CrossBatchMemory). 'live-batch-plus-memory': one L(b, [b; M']), where M' is the memory without
 * this batch (the memory keeps M rows in all) and the batch keeps its gradient as a reference
 * (TF Similarity's XBM, which concatenates the batch in front of the memory).
 */
export const XBM_COMBINES = ['batch-plus-memory', 'memory-only', 'live-batch-plus-memory'] as const;
export type XbmCombine = (typeof XBM_COMBINES)[number];

export type { ContrastiveNegativeValue, SelfExclusion };

/** research-xbm's epsilon: positives with s >= 1 - 1e-5 are taken for the query itself. */
export const RESEARCH_XBM_SELF_EPSILON = 1e-5;

/**
 * The loss-config fields a parity mode sets: its reducer always; self-exclusion and the contrastive
 * negative's value only where they differ from ours, so a config without --parity reads as before.
 */
export function parityLossFields(p: ParityMode, lossKind: string): { reducer: ReducerKind; selfExclusion?: SelfExclusion; negativeValue?: ContrastiveNegativeValue } {
  return {
    reducer: p.reducer,
    ...(p.selfExclusion.kind === 'similarity' ? { selfExclusion: p.selfExclusion } : {}),
    ...(lossKind === 'contrastive' && p.contrastiveNegative === 'similarity' ? { negativeValue: p.contrastiveNegative } : {}),
  };
}
