export { CrossBatchMemory } from './cross-batch-memory.js';
export type { CrossBatchMemoryState, MemoryEntry } from './cross-batch-memory.js';
export { xbmLoss } from './xbm-loss.js';
export type { XbmLossOutput } from './xbm-loss.js';
