import type { ReducerDefinition } from './reducer.js';

/**
 * pytorch-metric-learning's AvgNonZeroReducer: each group of terms (contrastive: positive pairs,
 * negative pairs; triplet: mined triplets; multi-similarity: anchors) is averaged over its terms
 * that are > 0, and the group means are summed. A group without such a term adds 0. Terms <= 0
 * are dropped, gradient included (e.g. a contrastive positive at similarity 1).
 */
export const meanActive: ReducerDefinition<'mean-active'> = {
  kind: 'mean-active',
  describe: 'each group of terms (positive pairs, negative pairs; triplets; anchors) averaged over its terms > 0, then summed (PML AvgNonZeroReducer)',
  weights: (groups) => groups.map((g) => ({ active: g.active === 0 ? 0 : 1 / g.active, inactive: 0 })),
};
