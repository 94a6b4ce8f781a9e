import type { AdaptStrategy } from './adapter.js';

/**
 * A sample seen again overwrites its old row (in that row's slot) instead of adding a duplicate,
 * as a memory keyed by sample id does (ROADMAP). The ring buffer's head is not moved by a refresh,
 * so the memory holds more distinct samples, and a refreshed row leaves when its slot's turn comes.
 */
export const refreshById: AdaptStrategy<{ kind: 'refresh-by-id' }> = {
  kind: 'refresh-by-id',
  describe: 'a sample seen again overwrites its old row instead of adding a duplicate',
  create: () => ({ refreshById: true }),
};
