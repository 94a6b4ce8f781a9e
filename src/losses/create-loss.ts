import type { tf } from '../backend/tf.js';
import { contrastive } from './contrastive.js';
import type { LossDefinition } from './loss-definition.js';
import { multiSimilarity, type MultiSimilarityParams } from './multi-similarity.js';
import { computePairLoss, runDirect, type KernelRunner, type LossOutput, type PairLoss, type PairMask, type SimilarityLossKernel } from './pair-loss.js';
import { reduceTerms, type ReducerDefinition } from './reducers/reducer.js';
import { excludeBySimilarity, validateSelfExclusion } from './self-exclusion.js';
import { reducerDefinition, type ReducerKind } from './reducers/registry.js';
import { lossDefinition, type LossConfig } from './registry.js';
import { triplet, type TripletMining } from './triplet.js';

export { LOSS_DEFAULTS, LOSS_KINDS, LOSSES, lossDefinition, reducerOf, similarityScale, type LossConfig, type LossKind } from './registry.js';
export { REDUCER_KINDS, REDUCERS, reducerDefinition, type ReducerKind } from './reducers/registry.js';

/**
 * A registered loss's kernel, reduced by a registered reducer, as a differentiable PairLoss (see
 * pair-loss.ts): the kernel gives the terms, the reducer (config.reducer, else the loss's
 * defaultReducer) their weights; value and dLoss/dS both follow from those weights.
 */
export class KernelLoss<C extends LossConfig = LossConfig> implements PairLoss {
  readonly name: string;
  readonly reducer: ReducerDefinition<ReducerKind>;
  private readonly kernel: SimilarityLossKernel;
  private run: KernelRunner = runDirect;
  constructor(definition: LossDefinition<C>, readonly config: C) {
    this.name = definition.kind;
    this.reducer = reducerDefinition(config.reducer ?? definition.defaultReducer);
    this.kernel = similarityKernel(config);
  }

  /** This loss (same config and kernel) with its kernels run by `run`: a view for one pass, the original unchanged. */
  withKernelRunner(run: KernelRunner): PairLoss {
    const copy = Object.create(this) as this;
    copy.run = run;
    return copy;
  }

  compute(q: tf.Tensor2D, qLabels: tf.Tensor1D, ref: tf.Tensor2D, refLabels: tf.Tensor1D, selfIndex?: Int32Array, columnActivity?: Int32Array): LossOutput {
    const exclusion = this.config.selfExclusion;
    if (exclusion?.kind === 'similarity') {
      // The self-pair is found by its similarity, so the caller's index is not used.
      const kernel = (s: Float32Array, pairs: PairMask) => {
        excludeBySimilarity(s, pairs, exclusion.epsilon);
        // The counts travel with the result, so a replayed kernel (host-kernel.ts) reports them too.
        return { ...this.kernel(s, pairs), pairs: { positive: pairs.positive, negative: pairs.negative } };
      };
      return computePairLoss(kernel, q, qLabels, ref, refLabels, undefined, columnActivity, this.run);
    }
    return computePairLoss(this.kernel, q, qLabels, ref, refLabels, selfIndex, columnActivity, this.run);
  }
}

/** A configured loss as a kernel on a similarity matrix held on the host (no tfjs involved): value, dLoss/dS, active pairs. */
export function similarityKernel(cfg: LossConfig): SimilarityLossKernel {
  const def = lossDefinition(String(cfg.kind));
  const reducer = reducerDefinition(cfg.reducer ?? def.defaultReducer);
  return (s, pairs) => reduceTerms(def.kernel(s, pairs, cfg), reducer);
}

/** Validates cfg (its reducer included) and builds its loss. */
export function createLoss(cfg: LossConfig): PairLoss {
  const def = lossDefinition(String((cfg as { kind: unknown }).kind));
  def.validate(cfg);
  if (cfg.reducer !== undefined) reducerDefinition(String(cfg.reducer));
  validateSelfExclusion(cfg.selfExclusion);
  return new KernelLoss(def, cfg);
}

// The library API's named loss classes (src/index.ts). A new loss needs none: createLoss builds it.
// The reducer argument is optional: absent, the loss's default (and the config has no reducer field).
const withReducer = (reducer?: ReducerKind) => (reducer === undefined ? {} : { reducer });
export class ContrastiveLoss extends KernelLoss<Extract<LossConfig, { kind: 'contrastive' }>> {
  constructor(readonly margin: number, reducer?: ReducerKind) {
    super(contrastive, { kind: 'contrastive', margin, ...withReducer(reducer) });
  }
}
export class TripletLoss extends KernelLoss<Extract<LossConfig, { kind: 'triplet' }>> {
  constructor(readonly margin: number, readonly mining: TripletMining, reducer?: ReducerKind) {
    super(triplet, { kind: 'triplet', margin, mining, ...withReducer(reducer) });
  }
}
export class MultiSimilarityLoss extends KernelLoss<Extract<LossConfig, { kind: 'multi-similarity' }>> {
  constructor(readonly params: MultiSimilarityParams, reducer?: ReducerKind) {
    super(multiSimilarity, { kind: 'multi-similarity', ...params, ...withReducer(reducer) });
  }
}
