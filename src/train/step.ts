import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import { readPairStats, type PairLoss } from '../losses/pair-loss.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { xbmLoss } from '../memory/xbm-loss.js';

export interface StepInput {
  pixels: Float32Array;
  labels: Int32Array;
  sampleIds: Int32Array;
  iteration: number;
}
export interface StepOptions {
  /** enqueue this batch into the memory (XBM started) */
  enqueue: boolean;
  /** count the memory loss (false while the guard pauses it, or before the start) */
  memoryLoss: boolean;
  weight: number;
  /** also return the batch's embeddings (for --log-batches) */
  keepEmbeddings: boolean;
}
export interface StepResult {
  loss: number;
  batchLoss: number;
  memoryLoss: number;
  batchStats: { positive: number; negative: number; active: number };
  memoryStats: { positive: number; negative: number; active: number };
  embeddings: Float32Array | null;
}

/**
 * One training iteration: embed the batch, enqueue its detached embeddings into the memory
 * *before* the loss (so the memory loss already sees them, with self-pairs excluded by slot),
 * loss = L(batch, batch) + w * L(batch, memory), one optimizer update. Leaves no tensors behind.
 */
export function trainStep(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
): StepResult {
  const [h, w, c] = model.inputShape;
  const n = input.labels.length;
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    kept.push(tf.keep(t));
    return t;
  };
  let embeddings: Float32Array | null = null;
  let parts!: { batchLoss: tf.Scalar; memoryLoss: tf.Scalar; batchStats: Stats; memoryStats: Stats };
  const x = tf.tensor4d(input.pixels, [n, h, w, c]);
  const y = tf.tensor1d(input.labels, 'int32');
  try {
    const total = optimizer.minimize(() => {
      const emb = model.apply(x);
      let selfSlots: Int32Array | null = null;
      if (memory && opts.enqueue) {
        // dataSync copies the values out: the memory holds constants, no gradient flows into it.
        const values = emb.dataSync() as Float32Array;
        selfSlots = memory.enqueue(values, input.labels, input.sampleIds, input.iteration);
        if (opts.keepEmbeddings) embeddings = values.slice();
      } else if (opts.keepEmbeddings) {
        embeddings = (emb.dataSync() as Float32Array).slice();
      }
      const view = memory && opts.memoryLoss && memory.size > 0 ? memory.view() : null;
      const r = xbmLoss(loss, emb, y, view, view ? selfSlots : null, opts.weight);
      parts = {
        batchLoss: keep(r.batchLoss),
        memoryLoss: keep(r.memoryLoss),
        batchStats: keepStats(r.batchStats, keep),
        memoryStats: keepStats(r.memoryStats, keep),
      };
      return r.loss;
    }, true, model.variables as tf.Variable[]);
    const lossValue = total!.dataSync()[0];
    total!.dispose();
    return {
      loss: lossValue,
      batchLoss: parts.batchLoss.dataSync()[0],
      memoryLoss: parts.memoryLoss.dataSync()[0],
      batchStats: readPairStats(parts.batchStats),
      memoryStats: readPairStats(parts.memoryStats),
      embeddings,
    };
  } finally {
    for (const t of kept) t.dispose();
    x.dispose();
    y.dispose();
  }
}

type Stats = { positive: tf.Scalar; negative: tf.Scalar; active: tf.Scalar };
function keepStats(s: Stats, keep: <T extends tf.Tensor>(t: T) => T): Stats {
  return { positive: keep(s.positive), negative: keep(s.negative), active: keep(s.active) };
}
