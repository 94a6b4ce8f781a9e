/**
 * Naive float64 references for the losses: plain loops over pairs and triplets, written from the
 * definitions (not from the kernels), for values, pair counts and finite-difference gradients.
 * Each loss lists its terms by group; naiveReduce applies a reducer's definition to them.
 */
import type { LossConfig } from '../../src/losses/create-loss.js';

export type Mat = number[][];
export interface NaiveResult {
  loss: number;
  positive: number;
  negative: number;
  active: number;
}

export function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/** Pairs of query i: positives and negatives (column indices), self excluded by index. */
function pairsOf(i: number, ql: number[], rl: number[], self?: number[]) {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let j = 0; j < rl.length; j++) {
    if (self != null && self[i] === j) continue;
    if (rl[j] === ql[i]) pos.push(j);
    else neg.push(j);
  }
  return { pos, neg };
}

/**
 * A loss's terms by group, before any reduction (the groups in the kernels' order): contrastive,
 * [positive pairs, negative pairs]; triplet, [mined triplets]; multi-similarity, [anchors].
 */
export interface NaiveTerms {
  nq: number;
  groups: number[][];
  positive: number;
  negative: number;
  active: number;
}

export type NaiveReducer = 'sum-per-query' | 'mean-active' | 'mean';

/** The reductions, from their definitions. */
export function naiveReduce(t: NaiveTerms, reducer: NaiveReducer): number {
  const all = t.groups.flat();
  const total = all.reduce((a, b) => a + b, 0);
  switch (reducer) {
    case 'sum-per-query':
      return t.nq === 0 ? 0 : total / t.nq;
    case 'mean':
      return all.length === 0 ? 0 : total / all.length;
    case 'mean-active': {
      let loss = 0;
      for (const g of t.groups) {
        const nonZero = g.filter((v) => v > 0);
        if (nonZero.length > 0) loss += nonZero.reduce((a, b) => a + b, 0) / nonZero.length;
      }
      return loss;
    }
  }
}

export function contrastiveTerms(q: Mat, ql: number[], ref: Mat, rl: number[], self: number[] | undefined, margin: number): NaiveTerms {
  const posTerms: number[] = [];
  const negTerms: number[] = [];
  let active = 0;
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    for (const j of pos) {
      const s = dot(q[i], ref[j]);
      posTerms.push(1 - s);
      if (1 - s > 0) active++;
    }
    for (const j of neg) {
      const s = dot(q[i], ref[j]);
      negTerms.push(Math.max(0, s - margin));
      if (s - margin > 0) active++;
    }
  }
  return { nq: q.length, groups: [posTerms, negTerms], positive: posTerms.length, negative: negTerms.length, active };
}

export function tripletTerms(
  q: Mat,
  ql: number[],
  ref: Mat,
  rl: number[],
  self: number[] | undefined,
  margin: number,
  mining: 'all' | 'semi-hard' | 'hard',
): NaiveTerms {
  const terms: number[] = [];
  let positive = 0;
  let negative = 0;
  const activePairs = new Set<string>();
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    positive += pos.length;
    negative += neg.length;
    const s = (j: number) => dot(q[i], ref[j]);
    const triplets: [number, number][] = [];
    if (mining === 'hard') {
      if (pos.length > 0 && neg.length > 0) {
        let p = pos[0];
        for (const j of pos) if (s(j) < s(p)) p = j;
        let n = neg[0];
        for (const j of neg) if (s(j) > s(n)) n = j;
        triplets.push([p, n]);
      }
    } else {
      for (const p of pos) {
        for (const n of neg) {
          // semi-hard: the negative is less similar than the positive, but within the margin
          if (mining === 'all' || (s(n) < s(p) && s(n) + margin - s(p) > 0)) triplets.push([p, n]);
        }
      }
    }
    for (const [p, n] of triplets) {
      const t = s(n) + margin - s(p);
      terms.push(Math.max(0, t));
      if (t <= 0) continue;
      activePairs.add(`${i},${p}`);
      activePairs.add(`${i},${n}`);
    }
  }
  return { nq: q.length, groups: [terms], positive, negative, active: activePairs.size };
}

export function multiSimilarityTerms(
  q: Mat,
  ql: number[],
  ref: Mat,
  rl: number[],
  self: number[] | undefined,
  { alpha, beta, base, epsilon }: { alpha: number; beta: number; base: number; epsilon: number },
): NaiveTerms {
  const terms: number[] = [];
  let positive = 0;
  let negative = 0;
  let active = 0;
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    positive += pos.length;
    negative += neg.length;
    terms.push(0);
    if (pos.length === 0 || neg.length === 0) continue;
    const sp = pos.map((j) => dot(q[i], ref[j]));
    const sn = neg.map((j) => dot(q[i], ref[j]));
    const minPos = Math.min(...sp);
    const maxNeg = Math.max(...sn);
    const keptNeg = sn.filter((v) => v + epsilon > minPos);
    const keptPos = sp.filter((v) => v - epsilon < maxNeg);
    if (keptNeg.length === 0 || keptPos.length === 0) continue;
    let ep = 1;
    for (const v of keptPos) ep += Math.exp(-alpha * (v - base));
    let en = 1;
    for (const v of keptNeg) en += Math.exp(beta * (v - base));
    terms[i] = Math.log(ep) / alpha + Math.log(en) / beta;
    active += keptPos.length + keptNeg.length;
  }
  return { nq: q.length, groups: [terms], positive, negative, active };
}

export function naiveTerms(cfg: LossConfig, q: Mat, ql: number[], ref: Mat, rl: number[], self?: number[]): NaiveTerms {
  switch (cfg.kind) {
    case 'contrastive':
      return contrastiveTerms(q, ql, ref, rl, self, cfg.margin);
    case 'triplet':
      return tripletTerms(q, ql, ref, rl, self, cfg.margin, cfg.mining);
    case 'multi-similarity':
      return multiSimilarityTerms(q, ql, ref, rl, self, cfg);
    case 'triplet-global':
      return tripletGlobalTerms(q, ql, ref, rl, self, cfg);
  }
}

/**
 * Kumar et al.'s global loss on the similarities of every valid pair, written from its
 * definition: var+ + var- + max(0, margin - (mu+ - mu-)); null without positives or negatives.
 */
export function naiveGlobalLoss(q: Mat, ql: number[], ref: Mat, rl: number[], self: number[] | undefined, margin: number): number | null {
  const sp: number[] = [];
  const sn: number[] = [];
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    for (const j of pos) sp.push(dot(q[i], ref[j]));
    for (const j of neg) sn.push(dot(q[i], ref[j]));
  }
  if (sp.length === 0 || sn.length === 0) return null;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));
  return variance(sp) + variance(sn) + Math.max(0, margin - (mean(sp) - mean(sn)));
}

/** Triplet's terms, then one term: globalWeight x the global loss (no term without positives or negatives). */
export function tripletGlobalTerms(
  q: Mat,
  ql: number[],
  ref: Mat,
  rl: number[],
  self: number[] | undefined,
  cfg: { margin: number; mining: 'all' | 'semi-hard' | 'hard'; globalWeight: number; globalMargin: number },
): NaiveTerms {
  const t = tripletTerms(q, ql, ref, rl, self, cfg.margin, cfg.mining);
  const g = naiveGlobalLoss(q, ql, ref, rl, self, cfg.globalMargin);
  return { ...t, groups: [...t.groups, g === null ? [] : [cfg.globalWeight * g]] };
}

/**
 * Each loss's reference normalisation when the config names no reducer: contrastive and MS
 * divide the sum by the number of queries (research-xbm, the MS authors); triplet averages over
 * the triplets with t > 0 (pytorch-metric-learning). Written here, not read from the source.
 */
const NAIVE_DEFAULT_REDUCER: Record<LossConfig['kind'], NaiveReducer> = {
  contrastive: 'sum-per-query',
  triplet: 'mean-active',
  'multi-similarity': 'sum-per-query',
  'triplet-global': 'mean-active',
};

/** The naive reference of a loss configuration (its reducer, or the loss's default). */
export function naiveLoss(cfg: LossConfig, q: Mat, ql: number[], ref: Mat, rl: number[], self?: number[]): NaiveResult {
  const t = naiveTerms(cfg, q, ql, ref, rl, self);
  const loss = naiveReduce(t, cfg.reducer ?? NAIVE_DEFAULT_REDUCER[cfg.kind]);
  return { loss, positive: t.positive, negative: t.negative, active: t.active };
}

/** Central finite differences of f at x, in float64. */
export function finiteDifference(f: (x: Mat) => number, x: Mat, h = 1e-6): Mat {
  return x.map((row, i) =>
    row.map((_, k) => {
      const at = (d: number) => f(x.map((r, a) => (a === i ? r.map((v, b) => (b === k ? v + d : v)) : r)));
      return (at(h) - at(-h)) / (2 * h);
    }),
  );
}
