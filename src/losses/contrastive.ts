import { useDefault } from '../flag-spec.js';
import { assertFinite, choiceFlag, MARGIN_FLAG, marginFlag, type LossDefinition } from './loss-definition.js';
import type { PairMask } from './pair-loss.js';
import type { LossTerms, TermWeights } from './reducers/reducer.js';

export interface ContrastiveConfig {
  kind: 'contrastive';
  margin: number;
  /** what a mined negative adds to the value; absent: 'excess' (set by --parity research-xbm) */
  negativeValue?: ContrastiveNegativeValue;
}

/**
 * The value of a negative pair above the margin: 'excess', relu(s - margin) (ours, PML's
 * neg_margin); 'similarity', s itself (the XBM authors' code). The gradient is 1 either way; the
 * logged loss differs by margin x the mined negatives, and so does what mean-active's "terms > 0" sees.
 */
export type ContrastiveNegativeValue = 'excess' | 'similarity';
const NEGATIVE_VALUES: readonly ContrastiveNegativeValue[] = ['excess', 'similarity'];

/**
 * Contrastive loss on cosine similarities, as in the XBM paper's code (and the peer PyTorch
 * reference). Terms, in two groups: (1 - s) for every valid positive pair and relu(s - margin)
 * for every negative pair. The reference reducer (a config without one), sum-per-query, divides their sum by the number
 * of queries nq, as the paper's code: against a memory the loss scale grows with the memory size
 * (kept for fidelity; the XBM weight or another reducer compensates). mean-active is PML's
 * ContrastiveLoss reduction (pos_margin 0, neg_margin = margin, on similarities).
 * Active pairs: positives with s < 1 and negatives with s > margin.
 */
export const contrastive: LossDefinition<ContrastiveConfig, typeof MARGIN_FLAG> = {
  kind: 'contrastive',
  // XBM's margin 0.5.
  defaults: { kind: 'contrastive', margin: 0.5 },
  flags: [MARGIN_FLAG],
  fromFlags: (f, take = useDefault) => ({ kind: 'contrastive', margin: marginFlag(f.margin as number | undefined, contrastive.defaults.margin, take) }),
  validate: (cfg) => {
    assertFinite(cfg.kind, 'margin', cfg.margin);
    if (cfg.negativeValue !== undefined) choiceFlag('contrastive negativeValue', cfg.negativeValue, NEGATIVE_VALUES, 'excess');
  },
  similarityScale: (cfg) => cfg.margin,
  defaultReducer: 'sum-per-query',
  kernel: (s, pairs, cfg) => contrastiveKernel(s, pairs, cfg.margin, cfg.negativeValue ?? 'excess'),
};

export function contrastiveKernel(s: Float32Array, pairs: PairMask, margin: number, negativeValue: ContrastiveNegativeValue = 'excess'): LossTerms {
  const { nq, kind } = pairs;
  const pos = { unit: 'positive pair', count: 0, active: 0, sum: 0, activeSum: 0 };
  const neg = { unit: 'negative pair', count: 0, active: 0, sum: 0, activeSum: 0 };
  let active = 0;
  for (let k = 0; k < s.length; k++) {
    const sim = s[k];
    if (kind[k] === 1) {
      const t = 1 - sim;
      pos.count++;
      pos.sum += t;
      if (t > 0) {
        pos.active++;
        pos.activeSum += t;
        active++;
      }
    } else if (kind[k] === -1) {
      neg.count++;
      if (sim > margin) {
        const t = negativeValue === 'excess' ? sim - margin : sim;
        neg.sum += t;
        neg.active++;
        neg.activeSum += t;
        active++;
      }
    }
  }
  const grad = ([wp, wn]: readonly TermWeights[]) => {
    const g = new Float32Array(s.length);
    for (let k = 0; k < s.length; k++) {
      // d(1 - s)/ds = -1 for every positive (weighted as active or not); d relu(s - m)/ds = 1 above the margin.
      if (kind[k] === 1) g[k] = s[k] < 1 ? -wp.active : -wp.inactive;
      else if (kind[k] === -1 && s[k] > margin) g[k] = wn.active;
    }
    return g;
  };
  return { nq, groups: [pos, neg], active, grad };
}
