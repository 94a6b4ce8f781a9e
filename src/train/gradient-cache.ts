import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import type { PairLoss } from '../losses/pair-loss.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { xbmLoss, type XbmLossOutput } from '../memory/xbm-loss.js';
import { KernelRecording, KernelReplay } from '../losses/host-kernel.js';
import { trainMessages as M } from '../messages/train.js';
import { KeptParts, memoryAges, memoryView, writeMemory, type trainStep, type trainStepAsyncReads, type MemoryWrite, type StepInput, type StepOptions, type StepResult } from './step.js';

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
 * trainStep. Reads synchronously (cpu, wasm, tfjs-node); trainStepMicroBatchedAsyncReads is the
 * same step for webgpu.
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
  const step = new ChunkedStep(model, optimizer, input, opts, microBatch);
  try {
    const embeddings = step.embed((t) => t.dataSync() as Float32Array);
    const keys = memory && opts.enqueue && opts.keyEncoder ? step.embed((t) => t.dataSync() as Float32Array, opts.keyEncoder) : null;
    const lossOf = step.writeAndLoss(memory, embeddings, keys);
    step.update(tf.valueAndGrad((emb: tf.Tensor2D) => step.kept.take(lossOf(loss, emb)))(step.batch));
    return step.result(step.loss!.dataSync()[0], step.kept.readSync(), embeddings);
  } finally {
    step.dispose();
  }
}

/**
 * trainStepMicroBatched for backends that read tensors only asynchronously (webgpu): the chunks'
 * embeddings are awaited, and the whole batch's loss runs its kernels as trainStepAsyncReads does
 * (losses/host-kernel.ts: record the similarity matrices from the embeddings, await them, run the
 * host kernels, replay their results in the gradient pass). The same steps as the synchronous
 * variant, in the same order.
 */
export async function trainStepMicroBatchedAsyncReads(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
  microBatch: number,
): Promise<StepResult> {
  if (loss.withKernelRunner === undefined) throw new Error(`the loss "${loss.name}" cannot run its kernels asynchronously (no withKernelRunner)`);
  const step = new ChunkedStep(model, optimizer, input, opts, microBatch);
  const recording = new KernelRecording();
  try {
    const embeddings = await step.embedAsync();
    const keys = memory && opts.enqueue && opts.keyEncoder ? await step.embedAsync(opts.keyEncoder) : null;
    const lossOf = step.writeAndLoss(memory, embeddings, keys);
    tf.tidy(() => {
      tf.dispose(lossOf(loss.withKernelRunner!(recording.run), step.batch));
    });
    const replay = new KernelReplay(await recording.resolve());
    step.update(tf.valueAndGrad((emb: tf.Tensor2D) => step.kept.take(lossOf(loss.withKernelRunner!(replay.run), emb)))(step.batch), () => replay.finish());
    const [value, parts] = await Promise.all([step.loss!.data(), step.kept.read()]);
    return step.result(value[0], parts, embeddings);
  } finally {
    recording.dispose();
    step.dispose();
  }
}

/** The phases both variants share, and the tensors of one step (disposed by dispose(), however the step ends). */
class ChunkedStep {
  readonly chunks: Chunk[];
  readonly kept = new KeptParts();
  /** the batch's embeddings as one constant tensor, [n, dim], once embedded */
  batch!: tf.Tensor2D;
  /** the whole batch's loss, after update() */
  loss: tf.Scalar | null = null;
  private readonly held: tf.Tensor[] = [];
  private readonly sums = new Map<string, tf.Tensor>();
  private write: CrossBatchMemory | null = null;
  private written: MemoryWrite | null = null;

  constructor(
    private readonly model: Embedder,
    private readonly optimizer: tf.Optimizer,
    private readonly input: StepInput,
    private readonly opts: StepOptions,
    microBatch: number,
  ) {
    this.chunks = chunksOf(input.labels.length, microBatch);
  }

  /** Each chunk through the model (or the key encoder) without the tape, read into one [n, dim] array; each chunk's tensors are freed before the next. */
  embed(read: (t: tf.Tensor2D) => Float32Array, encoder: { apply(x: tf.Tensor4D): tf.Tensor2D } = this.model): Float32Array {
    const out = new Float32Array(this.input.labels.length * this.model.dim);
    for (const c of this.chunks) {
      const e = tf.tidy(() => encoder.apply(this.pixels(c)));
      try {
        out.set(read(e), c.start * this.model.dim);
      } finally {
        e.dispose();
      }
    }
    return out;
  }

  /** embed, awaiting each chunk's values. */
  async embedAsync(encoder: { apply(x: tf.Tensor4D): tf.Tensor2D } = this.model): Promise<Float32Array> {
    const out = new Float32Array(this.input.labels.length * this.model.dim);
    for (const c of this.chunks) {
      const e = tf.tidy(() => encoder.apply(this.pixels(c)));
      try {
        out.set((await e.data()) as Float32Array, c.start * this.model.dim);
      } finally {
        e.dispose();
      }
    }
    return out;
  }

  /**
   * The memory write (step.ts's, before the loss) and the batch as a constant tensor; returns the
   * whole batch's loss of given embeddings against the batch and the memory view.
   */
  writeAndLoss(memory: CrossBatchMemory | null, embeddings: Float32Array, keys: Float32Array | null): (loss: PairLoss, emb: tf.Tensor2D) => XbmLossOutput {
    const { input, opts } = this;
    this.write = memory && opts.enqueue ? memory : null;
    this.written = this.write ? writeMemory(this.write, input, embeddings, keys, opts) : null;
    const view = memoryView(memory, opts);
    if (view) this.held.push(view.embeddings, view.labels);
    const y = tf.tensor1d(input.labels, 'int32');
    this.batch = tf.tensor2d(embeddings, [input.labels.length, this.model.dim]);
    this.held.push(y, this.batch);
    const written = this.written;
    return (loss, emb) => xbmLoss(loss, emb, y, view, view ? written?.selfSlots ?? null : null, opts.weight, view ? written?.activity ?? undefined : undefined, opts.combine);
  }

  /**
   * Given the whole batch's loss and its gradient g with respect to the embeddings: per chunk,
   * back-propagate <embeddings of the chunk, g of the chunk> under the tape and sum the variables'
   * gradients; `check` (the replay's) before anything changes; one optimizer update; then the key
   * encoder's momentum update.
   */
  update({ value, grad }: { value: tf.Scalar; grad: tf.Tensor }, check?: () => void): void {
    this.loss = value;
    this.held.push(value, grad);
    check?.();
    const dim = this.model.dim;
    for (const c of this.chunks) {
      const { value: dot, grads } = tf.variableGrads(() => {
        const g = tf.slice(grad, [c.start, 0], [c.size, dim]);
        return tf.sum(tf.mul(this.model.apply(this.pixels(c)), g));
      }, this.model.variables as tf.Variable[]);
      dot.dispose();
      for (const [name, g] of Object.entries(grads)) {
        const before = this.sums.get(name);
        if (!before) {
          this.sums.set(name, g);
          continue;
        }
        this.sums.set(name, tf.add(before, g));
        tf.dispose([before, g]);
      }
    }
    // As minimize() passes them: every variable in order, undefined where no gradient reached it.
    this.optimizer.applyGradients(this.model.variables.map((v) => ({ name: v.name, tensor: this.sums.get(v.name)! })));
    this.opts.keyEncoder?.update();
  }

  result(loss: number, parts: Omit<StepResult, 'loss' | 'embeddings' | 'memoryAges'>, embeddings: Float32Array): StepResult {
    return { loss, ...parts, embeddings: this.opts.keepEmbeddings ? embeddings.slice() : null, memoryAges: memoryAges(this.write, this.written, this.input, this.opts) };
  }

  dispose(): void {
    this.kept.dispose();
    tf.dispose(this.held);
    tf.dispose([...this.sums.values()]);
  }

  /** A chunk's images as a tensor, [size, h, w, c] (a view of the batch's pixels: the batch is never one tensor). */
  private pixels(c: Chunk): tf.Tensor4D {
    const [h, w, ch] = this.model.inputShape;
    const per = h * w * ch;
    return tf.tensor4d(this.input.pixels.subarray(c.start * per, (c.start + c.size) * per), [c.size, h, w, ch]);
  }
}

/**
 * The trainer's step for --micro-batch n, with trainStep's signature (or trainStepAsyncReads' on a
 * backend that reads only asynchronously), the host loss it runs, and the note run.json records.
 */
export function microBatchedStep(n: number, syncReads: boolean, loss: PairLoss): { loss: PairLoss; step: typeof trainStep | typeof trainStepAsyncReads; note: string } {
  const step: typeof trainStep | typeof trainStepAsyncReads = syncReads ? (...a) => trainStepMicroBatched(...a, n) : (...a) => trainStepMicroBatchedAsyncReads(...a, n);
  return { loss, step, note: M.microBatchStep(n, syncReads) };
}
