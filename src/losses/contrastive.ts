import type { tf } from '../backend/tf.js';
import { computePairLoss, type LossOutput, type PairLoss, type PairMask } from './pair-loss.js';

/**
 * Contrastive loss on cosine similarities, as in the XBM paper's code (and the peer PyTorch
 * reference): sum over valid positive pairs of (1 - s) plus sum over negative pairs of
 * relu(s - margin), divided by the number of queries nq. Note the sum over references: against
 * a memory the loss scale grows with the memory size (the paper's choice, kept for fidelity;
 * the XBM weight is the knob to compensate).
 * Active pairs: positives with s < 1 and negatives with s > margin.
 */
export class ContrastiveLoss implements PairLoss {
  readonly name = 'contrastive';
  constructor(readonly margin: number) {}

  compute(q: tf.Tensor2D, qLabels: tf.Tensor1D, ref: tf.Tensor2D, refLabels: tf.Tensor1D, selfIndex?: Int32Array): LossOutput {
    return computePairLoss((s, pairs) => contrastiveKernel(s, pairs, this.margin), q, qLabels, ref, refLabels, selfIndex);
  }
}

export function contrastiveKernel(s: Float32Array, pairs: PairMask, margin: number) {
  const { nq, kind } = pairs;
  const grad = new Float32Array(s.length);
  const scale = 1 / nq;
  let sum = 0;
  let active = 0;
  for (let k = 0; k < s.length; k++) {
    const sim = s[k];
    if (kind[k] === 1) {
      sum += 1 - sim;
      grad[k] = -scale;
      if (sim < 1) active++;
    } else if (kind[k] === -1 && sim > margin) {
      sum += sim - margin;
      grad[k] = scale;
      active++;
    }
  }
  return { value: sum * scale, grad, active };
}
