import type { ParityMode } from './parity.js';

/**
 * TensorFlow Similarity's XBM loss wrapper: the batch (with its gradient) is concatenated in front
 * of the memory, truncated to memory_size rows, and one loss is computed of the batch against that,
 * its diagonal removed; the memory is updated only after warmup_steps calls (before that the loss
 * is the in-batch one). Keras reduces the per-query losses by their mean.
 * Read in: tensorflow/similarity: tensorflow_similarity/losses/xbm_loss.py.
 */
export const tfSimilarity: ParityMode<'tf-similarity'> = {
  kind: 'tf-similarity',
  describe: 'TF Similarity XBM: per-query mean, self-pairs by index, one L(b,[b;M]) with the batch keeping its gradient',
  reducer: 'sum-per-query',
  selfExclusion: { kind: 'index' },
  contrastiveNegative: 'excess',
  adapt: 'none',
  combine: 'live-batch-plus-memory',
  memoryWeight: false,
};
