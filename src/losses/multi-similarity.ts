import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { assertFinite, type LossDefinition } from './loss-definition.js';
import type { PairMask } from './pair-loss.js';
import type { LossTerms, TermWeights } from './reducers/reducer.js';

export interface MultiSimilarityParams {
  alpha: number;
  beta: number;
  base: number;
  epsilon: number;
}

/**
 * Multi-similarity loss (Wang et al., CVPR 2019), following the authors' code. Per anchor:
 * mining keeps negatives with s_in + epsilon > min positive similarity and positives with
 * s_ip - epsilon < max negative similarity (both thresholds from the unmined sets); then
 *   (1/alpha) log(1 + sum_p exp(-alpha (s_ip - base))) + (1/beta) log(1 + sum_n exp(beta (s_in - base))).
 * Terms: one per anchor (every query), one group; an anchor without a positive or a negative, or
 * whose mined set is empty, has term 0. The reference reducer (a config without one), sum-per-query, divides the sum over
 * anchors by nq, as the authors' and XBM's code; mean-active averages over the anchors with a
 * term > 0, as pytorch-metric-learning's MultiSimilarityLoss with AvgNonZeroReducer ("element"
 * reduction); mean equals sum-per-query here. The log-sum-exps are computed stably.
 * Active pairs: the mined pairs of anchors that contribute.
 */
export interface MultiSimilarityConfig extends MultiSimilarityParams {
  kind: 'multi-similarity';
}

export const multiSimilarity: LossDefinition<MultiSimilarityConfig, never> = {
  kind: 'multi-similarity',
  // The paper's alpha 2, beta 50, base 0.5, epsilon 0.1.
  defaults: { kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 },
  flags: [],
  fromFlags: () => ({ ...multiSimilarity.defaults }),
  validate: (cfg) => {
    const { alpha, beta, base, epsilon } = cfg;
    for (const [name, v] of [['alpha', alpha], ['beta', beta], ['base', base], ['epsilon', epsilon]] as const) assertFinite(cfg.kind, name, v);
    if (alpha <= 0) throw new UserError(M.notPositive(cfg.kind, 'alpha', alpha));
    if (beta <= 0) throw new UserError(M.notPositive(cfg.kind, 'beta', beta));
    if (epsilon < 0) throw new UserError(M.negative(cfg.kind, 'epsilon', epsilon));
  },
  // No margin: the pair weights switch around the base lambda, which plays the margin's role.
  similarityScale: (cfg) => cfg.base,
  defaultReducer: 'sum-per-query',
  kernel: (s, pairs, { alpha, beta, base, epsilon }) => multiSimilarityKernel(s, pairs, { alpha, beta, base, epsilon }),
};

export function multiSimilarityKernel(s: Float32Array, pairs: PairMask, { alpha, beta, base, epsilon }: MultiSimilarityParams): LossTerms {
  const { nq, nr, kind } = pairs;
  // unit: the gradient of each anchor's own term, in that anchor's row.
  const unit = new Float64Array(s.length);
  const term = new Float64Array(nq);
  const anchors = { unit: 'anchor', count: nq, active: 0, sum: 0, activeSum: 0 };
  let active = 0;
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < nq; i++) {
    const row = i * nr;
    let minPos = Infinity;
    let maxNeg = -Infinity;
    for (let j = row; j < row + nr; j++) {
      if (kind[j] === 1) minPos = Math.min(minPos, s[j]);
      else if (kind[j] === -1) maxNeg = Math.max(maxNeg, s[j]);
    }
    if (minPos === Infinity || maxNeg === -Infinity) continue;
    pos.length = 0;
    neg.length = 0;
    for (let j = row; j < row + nr; j++) {
      if (kind[j] === 1 && s[j] - epsilon < maxNeg) pos.push(j);
      else if (kind[j] === -1 && s[j] + epsilon > minPos) neg.push(j);
    }
    if (pos.length === 0 || neg.length === 0) continue;
    const t = softplusSum(s, pos, -alpha, base, unit, -1) / alpha + softplusSum(s, neg, beta, base, unit, 1) / beta;
    term[i] = t;
    anchors.sum += t;
    if (t > 0) {
      anchors.active++;
      anchors.activeSum += t;
    }
    active += pos.length + neg.length;
  }
  const grad = ([w]: readonly TermWeights[]) => {
    const g = new Float32Array(s.length);
    for (let i = 0; i < nq; i++) {
      const wi = term[i] > 0 ? w.active : w.inactive;
      if (wi === 0) continue;
      for (let k = i * nr; k < (i + 1) * nr; k++) if (unit[k] !== 0) g[k] = unit[k] * wi;
    }
    return g;
  };
  return { nq, groups: [anchors], active, grad };
}

/**
 * log(1 + sum_k exp(scale (s_k - base))) over the indices ks, computed stably; adds
 * sign * (its derivative w.r.t. s_k) / scale, i.e. sign * softmax weight, into grad[k].
 */
function softplusSum(s: Float32Array, ks: number[], scale: number, base: number, grad: Float64Array, sign: number): number {
  let top = 0; // the implicit exp(0) term of the "1 +"
  for (const k of ks) top = Math.max(top, scale * (s[k] - base));
  let z = Math.exp(-top);
  for (const k of ks) z += Math.exp(scale * (s[k] - base) - top);
  for (const k of ks) grad[k] += (sign * Math.exp(scale * (s[k] - base) - top)) / z;
  return top + Math.log(z);
}
