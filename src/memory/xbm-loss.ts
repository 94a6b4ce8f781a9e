import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import type { LossOutput, PairLoss } from '../losses/pair-loss.js';
import { memoryMessages as M } from '../messages/memory.js';
import type { XbmCombine } from './parity/parity.js';

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
 * The XBM objective. The caller enqueues the detached batch first, then passes memory.view() and
 * the slots enqueue() returned (-1: that row is not in the memory). With memory null or empty the
 * loss is L(batch, batch; self = diagonal) alone. With a memory, by `combine` (parity/parity.ts):
 *   'batch-plus-memory' (default): L(batch, batch; diagonal) + weight * L(batch, memory; self = the
 *     slot each query was just enqueued into);
 *   'memory-only': L(batch, memory; slots), one loss (reported as memoryLoss, batchLoss 0);
 *   'live-batch-plus-memory': L(batch, [batch; memory without this batch's slots]; diagonal), the
 *     batch a reference with its gradient, one loss (reported as memoryLoss).
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
  combine: XbmCombine = 'batch-plus-memory',
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
  if (useMemory && combine !== 'batch-plus-memory') {
    // One loss: the batch against the memory that holds it (PML), or against [batch; older rows] (TF Similarity).
    const m = combine === 'memory-only'
      ? loss.compute(batch, batchLabels, memory.embeddings, memory.labels, selfSlots ?? undefined, memoryColumnActivity)
      : liveBatchLoss(loss, batch, batchLabels, memory, selfSlots, diagonal, memoryColumnActivity);
    return { loss: tf.clone(m.loss), batchLoss: tf.scalar(0), memoryLoss: m.loss, batchStats: zeroStats(), memoryStats: m.stats };
  }
  const b = loss.compute(batch, batchLabels, batch, batchLabels, diagonal);
  if (!useMemory) {
    return { loss: tf.clone(b.loss), batchLoss: b.loss, memoryLoss: tf.scalar(0), batchStats: b.stats, memoryStats: zeroStats() };
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

const zeroStats = (): LossOutput['stats'] => ({ positive: tf.scalar(0), negative: tf.scalar(0), active: tf.scalar(0) });

/**
 * L(batch, [batch; the memory rows that are not this batch's slots]; diagonal): TF Similarity's
 * XBM, where the batch is concatenated in front of the older memory with its gradient. The memory
 * column activity (in-loss staleness) is mapped back to memory rows: a batch column to the slot
 * its sample was written into.
 */
function liveBatchLoss(
  loss: PairLoss,
  batch: tf.Tensor2D,
  batchLabels: tf.Tensor1D,
  memory: { embeddings: tf.Tensor2D; labels: tf.Tensor1D },
  selfSlots: Int32Array | null,
  diagonal: Int32Array,
  memoryColumnActivity?: Int32Array,
): LossOutput {
  const nq = batch.shape[0];
  const own = new Set(selfSlots ?? []);
  const older = Int32Array.from({ length: memory.embeddings.shape[0] }, (_, j) => j).filter((j) => !own.has(j));
  const columns = memoryColumnActivity ? new Int32Array(nq + older.length) : undefined;
  const out = tf.tidy(() => {
    const idx = tf.tensor1d(older, 'int32');
    const refs = tf.concat([batch, tf.gather(memory.embeddings, idx)]) as tf.Tensor2D;
    const refLabels = tf.concat([batchLabels, tf.gather(memory.labels, idx)]) as tf.Tensor1D;
    return loss.compute(batch, batchLabels, refs, refLabels, diagonal, columns);
  });
  if (memoryColumnActivity && columns) {
    memoryColumnActivity.fill(0);
    older.forEach((row, j) => (memoryColumnActivity[row] = columns[nq + j]));
    selfSlots?.forEach((slot, i) => {
      if (slot >= 0) memoryColumnActivity[slot] = columns[i];
    });
  }
  return out;
}
