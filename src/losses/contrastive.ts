import { assertFinite, marginFlag, type LossDefinition } from './loss-definition.js';
import type { PairMask } from './pair-loss.js';

export interface ContrastiveConfig {
  kind: 'contrastive';
  margin: number;
}

/**
 * Contrastive loss on cosine similarities, as in the XBM paper's code (and the peer PyTorch
 * reference): sum over valid positive pairs of (1 - s) plus sum over negative pairs of
 * relu(s - margin), divided by the number of queries nq. Note the sum over references: against
 * a memory the loss scale grows with the memory size (the paper's choice, kept for fidelity;
 * the XBM weight is the knob to compensate).
 * Active pairs: positives with s < 1 and negatives with s > margin.
 */
export const contrastive: LossDefinition<ContrastiveConfig> = {
  kind: 'contrastive',
  // XBM's margin 0.5.
  defaults: { kind: 'contrastive', margin: 0.5 },
  flags: ['margin'],
  fromFlags: (f) => ({ kind: 'contrastive', margin: marginFlag(f.margin, contrastive.defaults.margin) }),
  validate: (cfg) => assertFinite(cfg.kind, 'margin', cfg.margin),
  similarityScale: (cfg) => cfg.margin,
  kernel: (s, pairs, cfg) => contrastiveKernel(s, pairs, cfg.margin),
};

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
