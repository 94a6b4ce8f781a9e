import { RESEARCH_XBM_SELF_EPSILON, type ParityMode } from './parity.js';

/**
 * The XBM authors' code (github.com/msight-tech/research-xbm, ret_benchmark): its ContrastiveLoss
 * sums (1 - s) over positives with s < 1 - 1e-5 and s over negatives with s > margin, divided by
 * the batch size; the trainer adds XBM.WEIGHT x the same loss against the memory, after enqueuing
 * the batch, once the iteration exceeds XBM.START_ITERATION (the memory stays empty before).
 * Read in: msight-tech/research-xbm: ret_benchmark/losses/contrastive_loss.py, ret_benchmark/engine/trainer.py.
 */
export const researchXbm: ParityMode<'research-xbm'> = {
  kind: 'research-xbm',
  describe: 'the XBM paper\'s code: sum-per-query, self-pairs by s >= 1 - 1e-5, negatives valued s, L(b,b) + w L(b,M)',
  reducer: 'sum-per-query',
  selfExclusion: { kind: 'similarity', epsilon: RESEARCH_XBM_SELF_EPSILON },
  contrastiveNegative: 'similarity',
  adapt: 'none',
  combine: 'batch-plus-memory',
  memoryWeight: true,
};
