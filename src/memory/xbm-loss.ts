import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import type { LossOutput, PairLoss } from '../losses/pair-loss.js';
import { memoryMessages as M } from '../messages/memory.js';

/** A type alias (not an interface) so tf.dispose(output) accepts it. */
export type XbmLossOutput = {
  /** batchLoss + weight * memoryLoss */
  loss: tf.Scalar;
  batchLoss: tf.Scalar;
  memoryLoss: tf.Scalar;
  batchStats: LossOutput['stats'];
  memoryStats: LossOutput['stats'];
};

/**
 * The XBM objective: L(batch, batch; self = diagonal) + weight * L(batch, memory; self = the slot
 * each query was just enqueued into). The caller enqueues the detached batch first, then passes
 * memory.view() and the slots enqueue() returned (-1: that row is not in the memory). With
 * memory null or empty the memory term is 0.
 *
 * The memory tensors are treated as constants: they come from the memory's JS arrays, so no
 * gradient reaches the model through them (only through the queries).
 * The caller owns every returned tensor (nine in all; see LossOutput for tf.keep inside
 * tf.variableGrads).
 */
export function xbmLoss(
  loss: PairLoss,
  batch: tf.Tensor2D,
  batchLabels: tf.Tensor1D,
  memory: { embeddings: tf.Tensor2D; labels: tf.Tensor1D } | null,
  selfSlots: Int32Array | null,
  weight: number,
  /** when given (length = memory rows), filled with each memory column's active pairs (in-loss staleness) */
  memoryColumnActivity?: Int32Array,
): XbmLossOutput {
  if (!Number.isFinite(weight) || weight < 0) throw new UserError(M.badWeight(weight));
  const nq = batch.shape[0];
  const useMemory = memory != null && memory.embeddings.shape[0] > 0;
  // Validate before computing anything, so a bad call leaks no tensors.
  if (useMemory) {
    if (memory.embeddings.shape[1] !== batch.shape[1]) throw new UserError(M.memoryWidth(memory.embeddings.shape[1], batch.shape[1]));
    if (selfSlots != null && selfSlots.length !== nq) throw new UserError(M.selfSlotsLength(selfSlots.length, nq));
  }
  const diagonal = new Int32Array(nq).map((_, i) => i);
  const b = loss.compute(batch, batchLabels, batch, batchLabels, diagonal);
  if (!useMemory) {
    return {
      loss: tf.clone(b.loss),
      batchLoss: b.loss,
      memoryLoss: tf.scalar(0),
      batchStats: b.stats,
      memoryStats: { positive: tf.scalar(0), negative: tf.scalar(0), active: tf.scalar(0) },
    };
  }
  const m = loss.compute(batch, batchLabels, memory.embeddings, memory.labels, selfSlots ?? undefined, memoryColumnActivity);
  return {
    loss: tf.tidy(() => tf.add(b.loss, tf.mul(m.loss, weight))),
    batchLoss: b.loss,
    memoryLoss: m.loss,
    batchStats: b.stats,
    memoryStats: m.stats,
  };
}
