import { tf } from '../../backend/tf.js';
import { MIN_VARIANCE, MomentsAdapter } from './moments.js';
import type { MemoryAdapter } from './adapter.js';

/**
 * --xbm-adapt moments (moments.ts) as tensor operations, for the device step: the same
 * correction of the stored rows, from the same smoothed batch statistics, evaluated in float32
 * on the backend. The step reads the corrected rows and the new estimate back after its update
 * and hands the estimate to the adapter (restore), so a checkpoint holds what the device used.
 */
export interface DeviceCorrection {
  /** stored [size, dim] (size may be 0) corrected with the batch [n, dim]; `estimate` is the new smoothed [2 * dim] */
  correct(stored: tf.Tensor2D, batch: tf.Tensor2D): { rows: tf.Tensor2D; estimate: tf.Tensor1D };
  /** the adapter takes the estimate the device computed */
  accept(estimate: Float32Array): void;
}

/** The tensor version of a strategy's correction, or null when it has none. */
export function deviceCorrection(adapter: MemoryAdapter): DeviceCorrection | null {
  if (!(adapter instanceof MomentsAdapter)) return null;
  const a = adapter.alpha;
  return {
    correct: (stored, batch) => {
      const dim = batch.shape[1];
      const { mean, variance } = tf.moments(batch, 0);
      const fresh = tf.concat([mean, variance]) as tf.Tensor1D;
      const previous = adapter.state();
      const estimate = previous ? (tf.add(tf.mul(tf.tensor1d(previous), 1 - a), tf.mul(fresh, a)) as tf.Tensor1D) : fresh;
      if (stored.shape[0] === 0) return { rows: stored, estimate };
      const [shift, target] = tf.split(estimate, [dim, dim]);
      const memory = tf.moments(stored, 0);
      // Spreads below MIN_VARIANCE are collapsed dimensions: left unscaled, as on the host.
      const scale = tf.where(tf.greater(memory.variance, MIN_VARIANCE), tf.sqrt(tf.div(target, memory.variance)), tf.onesLike(target));
      const rows = tf.add(tf.mul(tf.sub(stored, memory.mean), scale), shift);
      const norm = tf.norm(rows, 'euclidean', 1, true);
      // A zero row stays zero (normaliseRows).
      return { rows: tf.div(rows, tf.where(tf.equal(norm, 0), tf.onesLike(norm), norm)) as tf.Tensor2D, estimate };
    },
    accept: (estimate) => adapter.restore(estimate),
  };
}
