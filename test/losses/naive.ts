/**
 * Naive float64 references for the losses: plain loops over pairs and triplets, written from the
 * definitions (not from the kernels), for values, pair counts and finite-difference gradients.
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

export function naiveContrastive(q: Mat, ql: number[], ref: Mat, rl: number[], self: number[] | undefined, margin: number): NaiveResult {
  let sum = 0;
  let positive = 0;
  let negative = 0;
  let active = 0;
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    for (const j of pos) {
      const s = dot(q[i], ref[j]);
      sum += 1 - s;
      positive++;
      if (1 - s > 0) active++;
    }
    for (const j of neg) {
      const s = dot(q[i], ref[j]);
      sum += Math.max(0, s - margin);
      negative++;
      if (s - margin > 0) active++;
    }
  }
  return { loss: q.length === 0 ? 0 : sum / q.length, positive, negative, active };
}

export function naiveTriplet(
  q: Mat,
  ql: number[],
  ref: Mat,
  rl: number[],
  self: number[] | undefined,
  margin: number,
  mining: 'all' | 'semi-hard' | 'hard',
): NaiveResult {
  let sum = 0;
  let count = 0;
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
          if (mining === 'all' || s(n) < s(p)) triplets.push([p, n]);
        }
      }
    }
    for (const [p, n] of triplets) {
      const t = s(n) + margin - s(p);
      if (t <= 0) continue;
      sum += t;
      count++;
      activePairs.add(`${i},${p}`);
      activePairs.add(`${i},${n}`);
    }
  }
  return { loss: count === 0 ? 0 : sum / count, positive, negative, active: activePairs.size };
}

export function naiveMultiSimilarity(
  q: Mat,
  ql: number[],
  ref: Mat,
  rl: number[],
  self: number[] | undefined,
  { alpha, beta, base, epsilon }: { alpha: number; beta: number; base: number; epsilon: number },
): NaiveResult {
  let sum = 0;
  let positive = 0;
  let negative = 0;
  let active = 0;
  for (let i = 0; i < q.length; i++) {
    const { pos, neg } = pairsOf(i, ql, rl, self);
    positive += pos.length;
    negative += neg.length;
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
    sum += Math.log(ep) / alpha + Math.log(en) / beta;
    active += keptPos.length + keptNeg.length;
  }
  return { loss: q.length === 0 ? 0 : sum / q.length, positive, negative, active };
}

/** The naive reference of a loss configuration. */
export function naiveLoss(cfg: LossConfig, q: Mat, ql: number[], ref: Mat, rl: number[], self?: number[]): NaiveResult {
  switch (cfg.kind) {
    case 'contrastive':
      return naiveContrastive(q, ql, ref, rl, self, cfg.margin);
    case 'triplet':
      return naiveTriplet(q, ql, ref, rl, self, cfg.margin, cfg.mining);
    case 'multi-similarity':
      return naiveMultiSimilarity(q, ql, ref, rl, self, cfg);
  }
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
