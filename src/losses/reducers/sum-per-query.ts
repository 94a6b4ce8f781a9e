import type { ReducerDefinition } from './reducer.js';

/**
 * research-xbm's reduction: the sum of every term divided by the number of queries nq. Against a
 * memory of M references the pair sum grows with M, so the memory term's scale grows with M.
 */
export const sumPerQuery: ReducerDefinition<'sum-per-query'> = {
  kind: 'sum-per-query',
  describe: 'sum of the terms / number of queries (research-xbm)',
  weights: (groups, nq) => groups.map(() => ({ active: 1 / nq, inactive: 1 / nq })),
};
