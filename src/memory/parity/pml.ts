import type { ParityMode } from './parity.js';

/**
 * pytorch-metric-learning's CrossBatchMemory wrapping ContrastiveLoss(pos_margin=1,
 * neg_margin=margin, distance=CosineSimilarity()) and its AvgNonZeroReducer: each call enqueues the
 * batch (detached) and computes one loss of the batch against the whole memory, self comparisons
 * removed by the slots just written. The wrapper has no warm-up: the memory is used from the first
 * call.
 * Read in: KevinMusgrave/pytorch-metric-learning: losses/cross_batch_memory.py, reducers/avg_non_zero_reducer.py.
 */
export const pml: ParityMode<'pml'> = {
  kind: 'pml',
  describe: 'pytorch-metric-learning CrossBatchMemory: mean-active, self-pairs by slot, one L(b,M) with the batch in M, memory from the first step',
  reducer: 'mean-active',
  selfExclusion: { kind: 'index' },
  contrastiveNegative: 'excess',
  adapt: 'none',
  combine: 'memory-only',
  fixedStart: 0,
  memoryWeight: false,
};
