import type { tf } from '../backend/tf.js';
import { contrastive, type ContrastiveConfig } from './contrastive.js';
import type { LossDefinition } from './loss-definition.js';
import { multiSimilarity, type MultiSimilarityParams } from './multi-similarity.js';
import { computePairLoss, type LossOutput, type PairLoss } from './pair-loss.js';
import { lossDefinition, type LossConfig } from './registry.js';
import { triplet, type TripletMining } from './triplet.js';

export { LOSS_DEFAULTS, LOSS_KINDS, LOSSES, lossDefinition, similarityScale, type LossConfig, type LossKind } from './registry.js';

/** A registered loss's kernel as a differentiable PairLoss (see pair-loss.ts). */
export class KernelLoss<C extends LossConfig = LossConfig> implements PairLoss {
  readonly name: string;
  constructor(private readonly definition: LossDefinition<C>, readonly config: C) {
    this.name = definition.kind;
  }

  compute(q: tf.Tensor2D, qLabels: tf.Tensor1D, ref: tf.Tensor2D, refLabels: tf.Tensor1D, selfIndex?: Int32Array): LossOutput {
    return computePairLoss((s, pairs) => this.definition.kernel(s, pairs, this.config), q, qLabels, ref, refLabels, selfIndex);
  }
}

/** Validates cfg and builds its loss. */
export function createLoss(cfg: LossConfig): PairLoss {
  const def = lossDefinition(String((cfg as { kind: unknown }).kind));
  def.validate(cfg);
  return new KernelLoss(def, cfg);
}

// The library API's named loss classes (src/index.ts). A new loss needs none: createLoss builds it.
export class ContrastiveLoss extends KernelLoss<ContrastiveConfig> {
  constructor(readonly margin: number) {
    super(contrastive, { kind: 'contrastive', margin });
  }
}
export class TripletLoss extends KernelLoss<Extract<LossConfig, { kind: 'triplet' }>> {
  constructor(readonly margin: number, readonly mining: TripletMining) {
    super(triplet, { kind: 'triplet', margin, mining });
  }
}
export class MultiSimilarityLoss extends KernelLoss<Extract<LossConfig, { kind: 'multi-similarity' }>> {
  constructor(readonly params: MultiSimilarityParams) {
    super(multiSimilarity, { kind: 'multi-similarity', ...params });
  }
}
