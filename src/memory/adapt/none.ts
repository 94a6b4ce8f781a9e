import type { AdaptStrategy } from './adapter.js';

/** Plain XBM: rows stay as they were written until the FIFO evicts them. */
export const none: AdaptStrategy<{ kind: 'none' }> = {
  kind: 'none',
  describe: 'plain XBM: stored features stay as written',
  create: () => ({}),
};
