import type { ReducerDefinition } from './reducer.js';

/**
 * The mean over every term of every group: contrastive, all valid pairs (positives and negatives
 * together); triplet, all mined triplets (t <= 0 included); multi-similarity, all anchors (the same
 * as sum-per-query). 0 when there is no term.
 */
export const mean: ReducerDefinition<'mean'> = {
  kind: 'mean',
  describe: 'mean over all terms: valid pairs (contrastive), mined triplets, anchors (MS)',
  weights: (groups) => {
    const count = groups.reduce((n, g) => n + g.count, 0);
    const w = count === 0 ? 0 : 1 / count;
    return groups.map(() => ({ active: w, inactive: w }));
  },
};
