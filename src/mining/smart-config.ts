import type { IndexKind } from './neighbour-index.js';

/**
 * How batches are built: 'none', the sampler's batches; 'smart', Smart Mining (Harwood et al.
 * 2017) from an index over the whole training split. No tfjs here: the config and --help read it.
 */
export const BATCH_MINING = { none: 'the sampler\'s batches', smart: 'Smart Mining: anchors with their nearest positive and farther negatives from an index over the training split' } as const;
export type BatchMiningKind = keyof typeof BATCH_MINING;

/** Smart mining as configured (config.json `smartMining`; absent: off). */
export interface SmartMiningConfig {
  /** embed the training split and rebuild the index every this many iterations */
  refresh: number;
  index: IndexKind;
  /** negatives per anchor */
  negatives: number;
  /** the neighbourhood size k the controller starts from */
  neighbours: number;
  /** the adaptive controller on (false: k stays fixed) */
  controller: boolean;
}

export const SMART_MINING_DEFAULTS: SmartMiningConfig = { refresh: 200, index: 'hnsw', negatives: 2, neighbours: 32, controller: true };
