import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { useDefault, type FlagSpec } from '../flag-spec.js';
import { assertFinite, choiceFlag, MARGIN_FLAG, marginFlag, type LossDefinition } from './loss-definition.js';
import type { PairMask } from './pair-loss.js';
import type { LossTerms, TermGroup, TermWeights } from './reducers/reducer.js';
import { MINING_FLAG, TRIPLET_MINING, tripletKernel, type TripletMining } from './triplet.js';

/** --global-weight: this loss's own flag. */
export const GLOBAL_WEIGHT_FLAG = { name: 'global-weight', type: 'number', describe: 'triplet-global: weight of the global loss on the similarity distributions' } as const satisfies FlagSpec;

export interface TripletGlobalConfig {
  kind: 'triplet-global';
  margin: number;
  mining: TripletMining;
  /** lambda of the global term, as Harwood et al. (2017) add it to the triplet loss */
  globalWeight: number;
  /** the least gap mu+ - mu- between the mean positive and mean negative similarity */
  globalMargin: number;
}

/**
 * The triplet loss plus the global loss of Kumar et al. (2016), the combination Harwood et al.'s
 * Smart Mining trains with. On the similarities of all valid pairs of S, with mu+, var+ the mean
 * and (population) variance over positive pairs and mu-, var- over negative pairs:
 *   global = var+ + var- + max(0, globalMargin - (mu+ - mu-))
 * (Kumar et al. write it on distances; on cosine similarities the sign of the mean gap flips.)
 * Loss = triplet (its own reducer) + globalWeight * global.
 * A loss of its own rather than a flag on `triplet`: one loss, one kernel, and `triplet`'s config
 * and numbers stay exactly what they were.
 * Terms: group 0 the triplet's (see triplet.ts), group 1 one term, globalWeight * global, present
 * when S has both a positive and a negative pair. Every reducer here weights a one-term group by
 * 1 (mean-active, mean) or 1 / queries (sum-per-query).
 * Defaults: margin 0.1 and mining 'all' as triplet; globalWeight 1 and globalMargin 0.4 (our
 * choice for cosine similarities; docs/smart-mining.md says where this differs from the papers).
 */
export const tripletGlobal: LossDefinition<TripletGlobalConfig, typeof MARGIN_FLAG | typeof MINING_FLAG | typeof GLOBAL_WEIGHT_FLAG> = {
  kind: 'triplet-global',
  defaults: { kind: 'triplet-global', margin: 0.1, mining: 'all', globalWeight: 1, globalMargin: 0.4 },
  flags: [MARGIN_FLAG, MINING_FLAG, GLOBAL_WEIGHT_FLAG],
  fromFlags: (f, take = useDefault) => ({
    kind: 'triplet-global',
    margin: marginFlag(f.margin as number | undefined, tripletGlobal.defaults.margin, take),
    mining: choiceFlag('--mining', take('mining', f.mining as string | undefined, tripletGlobal.defaults.mining), TRIPLET_MINING, tripletGlobal.defaults.mining),
    globalWeight: take('global-weight', f.globalWeight as number | undefined, tripletGlobal.defaults.globalWeight),
    globalMargin: tripletGlobal.defaults.globalMargin,
  }),
  validate: (cfg) => {
    assertFinite(cfg.kind, 'margin', cfg.margin);
    if (cfg.margin < 0) throw new UserError(M.negative(cfg.kind, 'margin', cfg.margin));
    if (!TRIPLET_MINING.includes(cfg.mining)) throw new UserError(M.unknownMining(String(cfg.mining), TRIPLET_MINING));
    assertFinite(cfg.kind, 'globalWeight', cfg.globalWeight);
    if (cfg.globalWeight < 0) throw new UserError(M.negative(cfg.kind, 'globalWeight', cfg.globalWeight));
    assertFinite(cfg.kind, 'globalMargin', cfg.globalMargin);
  },
  similarityScale: (cfg) => cfg.margin,
  defaultReducer: 'mean-active',
  kernel: (s, pairs, cfg) => withGlobalTerm(tripletKernel(s, pairs, cfg.margin, cfg.mining), s, pairs, cfg.globalWeight, cfg.globalMargin),
};

/** The global loss's value and dGlobal/dS (float64), or null when S lacks positives or negatives. */
export function globalLoss(s: Float32Array, pairs: PairMask, margin: number): { value: number; grad: Float64Array } | null {
  const { kind } = pairs;
  let np = 0;
  let nn = 0;
  let sp = 0;
  let sn = 0;
  for (let k = 0; k < kind.length; k++) {
    if (kind[k] === 1) { np++; sp += s[k]; } else if (kind[k] === -1) { nn++; sn += s[k]; }
  }
  if (np === 0 || nn === 0) return null;
  const mp = sp / np;
  const mn = sn / nn;
  let vp = 0;
  let vn = 0;
  for (let k = 0; k < kind.length; k++) {
    if (kind[k] === 1) vp += (s[k] - mp) ** 2;
    else if (kind[k] === -1) vn += (s[k] - mn) ** 2;
  }
  vp /= np;
  vn /= nn;
  const hinge = margin - (mp - mn);
  const on = hinge > 0 ? 1 : 0;
  // d var / d s_k = 2 (s_k - mu) / n (the deviations sum to 0); d mu / d s_k = 1 / n.
  const grad = new Float64Array(kind.length);
  for (let k = 0; k < kind.length; k++) {
    if (kind[k] === 1) grad[k] = (2 * (s[k] - mp) - on) / np;
    else if (kind[k] === -1) grad[k] = (2 * (s[k] - mn) + on) / nn;
  }
  return { value: vp + vn + on * hinge, grad };
}

function withGlobalTerm(triplet: LossTerms, s: Float32Array, pairs: PairMask, weight: number, margin: number): LossTerms {
  const g = globalLoss(s, pairs, margin);
  const value = g ? weight * g.value : 0;
  const group: TermGroup = { unit: 'distribution', count: g ? 1 : 0, active: value > 0 ? 1 : 0, sum: value, activeSum: value > 0 ? value : 0 };
  const grad = (weights: readonly TermWeights[]) => {
    const out = triplet.grad([weights[0]]);
    if (!g) return out;
    const w = (value > 0 ? weights[1].active : weights[1].inactive) * weight;
    if (w !== 0) for (let k = 0; k < out.length; k++) out[k] += w * g.grad[k];
    return out;
  };
  return { nq: triplet.nq, groups: [...triplet.groups, group], active: triplet.active, grad };
}
