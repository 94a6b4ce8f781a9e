import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { useDefault, type FlagSpec } from '../flag-spec.js';
import { assertFinite, choiceFlag, MARGIN_FLAG, marginFlag, type LossDefinition } from './loss-definition.js';
import type { PairMask } from './pair-loss.js';
import type { LossTerms, TermWeights } from './reducers/reducer.js';

export type TripletMining = 'all' | 'semi-hard' | 'hard';
export const TRIPLET_MINING: readonly TripletMining[] = ['all', 'semi-hard', 'hard'];
/** --mining, read by the triplet losses (triplet-global lists it too). */
export const MINING_FLAG = { name: 'mining', type: 'string', choices: TRIPLET_MINING, describe: 'triplet mining' } as const satisfies FlagSpec;

export interface TripletConfig {
  kind: 'triplet';
  margin: number;
  mining: TripletMining;
}

/**
 * Triplet loss on cosine similarities: for anchor i, positive p, negative n,
 *   t = s_in - s_ip + margin, loss contribution relu(t).
 * Mining selects the triplets:
 *   'all'       every (p, n) of the anchor;
 *   'semi-hard' negatives less similar than the positive but within the margin,
 *               s_ip - margin < s_in < s_ip (FaceNet's band, as pytorch-metric-learning's miner);
 *   'hard'      batch-hard (Hermans et al. 2017): per anchor, the least similar positive and the
 *               most similar negative, one triplet.
 * Terms: relu(t) of each mined triplet, one group. The default reducer, mean-active, is the mean
 * over mined triplets with t > 0 (0 when there are none), as pytorch-metric-learning's
 * TripletMarginLoss with its AvgNonZeroReducer; this keeps the scale independent of the number of
 * references, so the memory term does not grow with the memory size. Mined triplets ('mean'
 * divides by their number): 'all', P x N per anchor; 'semi-hard', those in the band (all have
 * t > 0); 'hard', one per anchor that has a positive and a negative.
 * Default margin 0.1 (similarities lie in [-1, 1]), mining 'all'.
 * Active pairs: (anchor, p) or (anchor, n) pairs that take part in at least one triplet with t > 0.
 */
export const triplet: LossDefinition<TripletConfig, typeof MARGIN_FLAG | typeof MINING_FLAG> = {
  kind: 'triplet',
  defaults: { kind: 'triplet', margin: 0.1, mining: 'all' },
  flags: [MARGIN_FLAG, MINING_FLAG],
  fromFlags: (f, take = useDefault) => ({
    kind: 'triplet',
    margin: marginFlag(f.margin as number | undefined, triplet.defaults.margin, take),
    mining: choiceFlag('--mining', take('mining', f.mining as string | undefined, triplet.defaults.mining), TRIPLET_MINING, triplet.defaults.mining),
  }),
  validate: (cfg) => {
    assertFinite(cfg.kind, 'margin', cfg.margin);
    if (cfg.margin < 0) throw new UserError(M.negative(cfg.kind, 'margin', cfg.margin));
    if (!TRIPLET_MINING.includes(cfg.mining)) throw new UserError(M.unknownMining(String(cfg.mining), TRIPLET_MINING));
  },
  similarityScale: (cfg) => cfg.margin,
  // Today's normalisation (PML's), so that no existing number changes.
  defaultReducer: 'mean-active',
  kernel: (s, pairs, cfg) => tripletKernel(s, pairs, cfg.margin, cfg.mining),
};

export function tripletKernel(s: Float32Array, pairs: PairMask, margin: number, mining: TripletMining): LossTerms {
  const { nq, nr, kind } = pairs;
  // counts holds, per pair, the signed number of triplets with t > 0 it takes part in: the
  // gradient of the sum of the active triplets' terms.
  const counts = new Float32Array(s.length);
  let sum = 0;
  let triplets = 0;
  let mined = 0;
  let active = 0;
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < nq; i++) {
    const row = i * nr;
    pos.length = 0;
    neg.length = 0;
    for (let j = 0; j < nr; j++) {
      if (kind[row + j] === 1) pos.push(row + j);
      else if (kind[row + j] === -1) neg.push(row + j);
    }
    if (pos.length === 0 || neg.length === 0) continue;

    if (mining === 'hard') {
      mined++;
      let p = pos[0];
      for (const k of pos) if (s[k] < s[p]) p = k;
      let n = neg[0];
      for (const k of neg) if (s[k] > s[n]) n = k;
      const t = s[n] + margin - s[p];
      if (t > 0) {
        sum += t;
        triplets++;
        counts[p] -= 1;
        counts[n] += 1;
        active += 2;
      }
      continue;
    }

    // Positives sorted by similarity: for a negative with similarity x and r = x + margin,
    // t > 0 exactly for positives below r, and the semi-hard band is x < s_ip < r.
    pos.sort((a, b) => s[a] - s[b]);
    const sorted = Float64Array.from(pos, (k) => s[k]);
    const prefix = new Float64Array(pos.length + 1);
    for (let a = 0; a < pos.length; a++) prefix[a + 1] = prefix[a] + sorted[a];
    const diff = new Int32Array(pos.length + 1); // range updates of per-positive triplet counts
    for (const n of neg) {
      const x = s[n];
      const r = x + margin;
      const hi = lowerBound(sorted, r);
      const lo = mining === 'all' ? 0 : upperBound(sorted, x);
      if (mining === 'all') mined += pos.length;
      else mined += Math.max(0, hi - lo);
      if (hi <= lo) continue;
      const k = hi - lo;
      sum += k * r - (prefix[hi] - prefix[lo]);
      triplets += k;
      counts[n] += k;
      diff[lo] += 1;
      diff[hi] -= 1;
      active++;
    }
    let count = 0;
    for (let a = 0; a < pos.length; a++) {
      count += diff[a];
      if (count === 0) continue;
      counts[pos[a]] -= count;
      active++;
    }
  }
  // Terms <= 0 have a zero gradient (relu), so only the active weight matters.
  const grad = ([w]: readonly TermWeights[]) => {
    const g = new Float32Array(counts.length);
    if (w.active !== 0) for (let k = 0; k < g.length; k++) g[k] = counts[k] * w.active;
    return g;
  };
  const group = { unit: 'triplet', count: mined, active: triplets, sum, activeSum: sum };
  return { nq, groups: [group], active, grad };
}

/** First index with xs[i] >= v (xs ascending). */
function lowerBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with xs[i] > v (xs ascending). */
function upperBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
