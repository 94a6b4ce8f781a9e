import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import type { PairLoss } from '../losses/pair-loss.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { xbmLoss } from '../memory/xbm-loss.js';
import { KeptParts, memoryAges, memoryView, writeMemory, type trainStep, type MemoryWrite, type StepInput, type StepOptions, type StepResult } from './step.js';

/** Samples [start, start + size) of the batch. */
export interface Chunk { start: number; size: number }

/** The batch of n in chunks of `size`, in order; the last holds the remainder (n = 10, size 4: 4, 4, 2). */
export function chunksOf(n: number, size: number): Chunk[] {
  const out: Chunk[] = [];
  for (let start = 0; start < n; start += size) out.push({ start, size: Math.min(size, n - start) });
  return out;
}

/**
 * trainStep (step.ts) with the batch embedded and back-propagated `microBatch` samples at a time:
 * gradient caching (Gao et al. 2021), so the activations held at once are one chunk's, not the
 * batch's, and the update is the whole batch's.
 *   1. embed each chunk without the gradient tape, and the keys likewise (--xbm-adapt momentum);
 *      the batch's embeddings are assembled on the host;
 *   2. the memory write as trainStep does it (the strategy's correction, enqueue before the loss,
 *      self slots), then the whole batch's loss (batch term + memory term, combined by --parity)
 *      and its gradient g with respect to the embeddings, once;
 *   3. per chunk, embed again under the tape and back-propagate <embeddings of the chunk, g of the
 *      chunk>: the loss reaches the weights only through the embeddings, so this is the chunk's
 *      share of dLoss/dWeights; the shares are summed and applied in one optimizer update.
 * Exact because a sample's embedding depends on that sample alone: every embedder here runs
 * BatchNorm on its inference statistics and has no dropout (model/backbone.ts). A model whose
 * forward pass mixed samples (BatchNorm in training mode) would normalise each chunk with the
 * chunk's statistics and train another model. Costs one forward pass per chunk more than
 * trainStep. Reads synchronously (cpu, wasm, tfjs-node), as trainStep does.
 */
export function trainStepMicroBatched(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
  microBatch: number,
): StepResult {
  const n = input.labels.length;
  const chunks = chunksOf(n, microBatch);
  const kept = new KeptParts();
  const held: tf.Tensor[] = [];
  const sums = new Map<string, tf.Tensor>();
  try {
    const x = (c: Chunk) => chunkPixels(model, input, c);
    const embeddings = embedChunks(chunks, model.dim, (c) => model.apply(x(c)));
    const write = memory && opts.enqueue ? memory : null;
    const keys = write && opts.keyEncoder ? embedChunks(chunks, model.dim, (c) => opts.keyEncoder!.apply(x(c))) : null;
    const written: MemoryWrite | null = write ? writeMemory(write, input, embeddings, keys, opts) : null;
    const view = memoryView(memory, opts);
    if (view) held.push(view.embeddings, view.labels);
    const y = tf.tensor1d(input.labels, 'int32');
    const batch = tf.tensor2d(embeddings, [n, model.dim]);
    held.push(y, batch);
    const lossOf = (emb: tf.Tensor2D) =>
      kept.take(xbmLoss(loss, emb, y, view, view ? written?.selfSlots ?? null : null, opts.weight, view ? written?.activity ?? undefined : undefined, opts.combine));
    const { value, grad } = tf.valueAndGrad(lossOf)(batch);
    held.push(value, grad);
    for (const c of chunks) {
      const { value: dot, grads } = tf.variableGrads(() => {
        const g = tf.slice(grad, [c.start, 0], [c.size, model.dim]);
        return tf.sum(tf.mul(model.apply(x(c)), g));
      }, model.variables as tf.Variable[]);
      dot.dispose();
      for (const [name, g] of Object.entries(grads)) {
        const before = sums.get(name);
        if (!before) {
          sums.set(name, g);
          continue;
        }
        sums.set(name, tf.add(before, g));
        tf.dispose([before, g]);
      }
    }
    // As minimize() passes them: every variable in order, undefined where no gradient reached it.
    optimizer.applyGradients(model.variables.map((v) => ({ name: v.name, tensor: sums.get(v.name)! })));
    const lossValue = value.dataSync()[0];
    opts.keyEncoder?.update();
    return { loss: lossValue, ...kept.readSync(), embeddings: opts.keepEmbeddings ? embeddings.slice() : null, memoryAges: memoryAges(write, written, input, opts) };
  } finally {
    kept.dispose();
    tf.dispose(held);
    tf.dispose([...sums.values()]);
  }
}

/** The trainer's step for --micro-batch n: trainStep's signature. */
export const microBatchedStep = (n: number) => (...a: Parameters<typeof trainStep>): StepResult => trainStepMicroBatched(...a, n);

/** A chunk's images as a tensor, [size, h, w, c] (a view of the batch's pixels: the batch is never one tensor). */
function chunkPixels(model: Embedder, input: StepInput, c: Chunk): tf.Tensor4D {
  const [h, w, ch] = model.inputShape;
  const per = h * w * ch;
  return tf.tensor4d(input.pixels.subarray(c.start * per, (c.start + c.size) * per), [c.size, h, w, ch]);
}

/** `embed` of each chunk without the tape, read into one [n, dim] array; each chunk's tensors are freed before the next. */
function embedChunks(chunks: readonly Chunk[], dim: number, embed: (c: Chunk) => tf.Tensor2D): Float32Array {
  const last = chunks[chunks.length - 1];
  const out = new Float32Array((last.start + last.size) * dim);
  for (const c of chunks) {
    const e = tf.tidy(() => embed(c));
    try {
      out.set(e.dataSync() as Float32Array, c.start * dim);
    } finally {
      e.dispose();
    }
  }
  return out;
}
