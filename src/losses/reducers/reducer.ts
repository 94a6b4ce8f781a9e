/**
 * Reducers: how a loss's terms become one number. A loss kernel (losses/*.ts) does not reduce: it
 * returns its terms summarised by group (LossTerms) and the gradient of any weighted sum of them;
 * a reducer (one file each, listed in registry.ts) chooses the weights. So the reduction can change
 * without touching a loss, as in pytorch-metric-learning's loss / reducer split.
 *
 * Every reducer here is a weighted sum of the terms whose weights depend only on counts (how many
 * terms a group has, how many are > 0), which are constants of the step like the mining decisions:
 *   loss = sum over groups g, terms t of w_g(t > 0) * term_t,
 * so dLoss/dS = the same weighted sum of the terms' gradients, exact almost everywhere.
 */

/** One group of terms: contrastive has positive pairs and negative pairs; triplet has triplets; MS has anchors. */
export interface TermGroup {
  /** what a term is, for messages and docs: 'positive pair', 'negative pair', 'triplet', 'anchor' */
  readonly unit: string;
  /** the terms of the group (after the loss's mining) */
  count: number;
  /** terms > 0 (PML's "non-zero") */
  active: number;
  /** sum of all terms */
  sum: number;
  /** sum of the terms > 0 */
  activeSum: number;
}

/** The weight of a group's terms that are > 0 (active) and of the others. */
export interface TermWeights {
  active: number;
  inactive: number;
}

/** What a loss kernel returns for one similarity matrix S (row-major [nq, nr]). */
export interface LossTerms {
  nq: number;
  /** in a fixed order per loss */
  groups: TermGroup[];
  /** pairs that receive a non-zero gradient (the loss's own definition; the `active` stat) */
  active: number;
  /** dLoss/dS of loss = sum_g sum_t weights[g](term_t > 0) * term_t, computed in float64, stored as float32 */
  grad(weights: readonly TermWeights[]): Float32Array;
}

export interface ReducerDefinition<K extends string = string> {
  readonly kind: K;
  /** one line for --help and the README */
  readonly describe: string;
  /** The weights of each group's terms, given the groups' counts and the number of queries. */
  weights(groups: readonly TermGroup[], nq: number): TermWeights[];
}

/** Reduces a kernel's terms: value, dLoss/dS and active pairs (what computePairLoss runs). */
export function reduceTerms(terms: LossTerms, reducer: ReducerDefinition): { value: number; grad: Float32Array; active: number } {
  const weights = reducer.weights(terms.groups, terms.nq);
  let value = 0;
  terms.groups.forEach((g, i) => {
    const w = weights[i];
    value += w.active === w.inactive ? w.active * g.sum : w.active * g.activeSum + w.inactive * (g.sum - g.activeSum);
  });
  return { value, grad: terms.grad(weights), active: terms.active };
}
