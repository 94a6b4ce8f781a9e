import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import { readPairStats, type KernelResult, type KernelRunner, type PairLoss } from '../losses/pair-loss.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import { xbmLoss, type XbmLossOutput } from '../memory/xbm-loss.js';
import { KernelRecording, KernelReplay } from '../losses/host-kernel.js';
import type { MemoryAdapter, ReturnedSample } from '../memory/adapt/adapter.js';
import { inLossStaleness, type AgeBinStats } from '../memory/in-loss-staleness.js';
import type { KeyEncoder } from './key-encoder.js';
import type { XbmCombine } from '../memory/parity/parity.js';

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
  /** memory compensation (--xbm-adapt; memory/adapt/adapter.ts says where each part acts); absent: plain XBM */
  adapter?: MemoryAdapter | null;
  /** with adapter.keyMomentum: the encoder whose features are enqueued */
  keyEncoder?: KeyEncoder | null;
  /** measure the staleness inside the loss by entry age (memoryAges) */
  inLossStaleness?: boolean;
  /** how the batch and memory terms combine (--parity; memory/parity); absent: L(b,b) + w L(b,M) */
  combine?: XbmCombine;
}
export interface StepResult {
  loss: number;
  batchLoss: number;
  memoryLoss: number;
  batchStats: { positive: number; negative: number; active: number };
  memoryStats: { positive: number; negative: number; active: number };
  embeddings: Float32Array | null;
  /** the in-loss staleness by entry age (opts.inLossStaleness, on steps that enqueue), else null */
  memoryAges: AgeBinStats[] | null;
}

/**
 * One training iteration: embed the batch, enqueue its detached embeddings into the memory
 * *before* the loss (so the memory loss already sees them, with self-pairs excluded by slot),
 * loss = L(batch, batch) + w * L(batch, memory), one optimizer update. Leaves no tensors behind.
 * Reads tensors synchronously: for cpu, wasm and tfjs-node (see trainStepAsyncReads for webgpu).
 */
export function trainStep(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
): StepResult {
  const [x, y] = batchTensors(model, input);
  const kept = new KeptParts();
  let embeddings: Float32Array | null = null;
  const write = memory && opts.enqueue ? memory : null;
  let written: MemoryWrite | null = null;
  try {
    const keys = write && opts.keyEncoder ? readKeys(opts.keyEncoder.apply(x)) : null;
    const total = optimizer.minimize(() => {
      const emb = model.apply(x);
      if (write || opts.keepEmbeddings) {
        // dataSync copies the values out: the memory holds constants, no gradient flows into it.
        const values = emb.dataSync() as Float32Array;
        if (write) written = writeMemory(write, input, values, keys, opts);
        if (opts.keepEmbeddings) embeddings = values.slice();
      }
      const view = memoryView(memory, opts);
      return kept.take(xbmLoss(loss, emb, y, view, view ? written?.selfSlots ?? null : null, opts.weight, view ? written?.activity ?? undefined : undefined, opts.combine));
    }, true, model.variables as tf.Variable[]);
    const lossValue = total!.dataSync()[0];
    total!.dispose();
    opts.keyEncoder?.update();
    return { loss: lossValue, ...kept.readSync(), embeddings, memoryAges: memoryAges(write, written, input, opts) };
  } finally {
    kept.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * The same iteration for backends that read tensors only asynchronously (webgpu). Same update,
 * same mining, same memory contents as trainStep; the order differs only where a read must wait:
 *   1. embed the batch without a gradient tape and await its values (enqueue, keepEmbeddings);
 *   2. record the loss's similarity matrices from those values as constants, await them, run the
 *      host kernels (losses/host-kernel.ts);
 *   3. the gradient pass: embed again under the tape and replay the kernels' results.
 * The embedder is deterministic (BatchNorm runs on inference statistics, no dropout), so step 3's
 * embeddings equal step 1's values. Cost: one forward pass more than trainStep.
 */
export async function trainStepAsyncReads(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
): Promise<StepResult> {
  const [x, y] = batchTensors(model, input);
  const kept = new KeptParts();
  let view: ReturnType<typeof memoryView> = null;
  try {
    const first = tf.tidy(() => model.apply(x));
    let values: Float32Array;
    try {
      values = (await first.data()) as Float32Array;
    } finally {
      first.dispose();
    }
    const write = memory && opts.enqueue ? memory : null;
    let keys: Float32Array | null = null;
    if (write && opts.keyEncoder) {
      const k = opts.keyEncoder.apply(x);
      try {
        keys = (await k.data()) as Float32Array;
      } finally {
        k.dispose();
      }
    }
    const written = write ? writeMemory(write, input, values, keys, opts) : null;
    view = memoryView(memory, opts);
    const mem = view;
    const activity = mem ? written?.activity ?? undefined : undefined;
    if (loss.withKernelRunner === undefined) throw new Error(`the loss "${loss.name}" cannot run its kernels asynchronously (no withKernelRunner)`);
    const lossOf = (run: KernelRunner, emb: tf.Tensor2D) =>
      xbmLoss(loss.withKernelRunner!(run), emb, y, mem, mem ? written?.selfSlots ?? null : null, opts.weight, activity, opts.combine);
    const recording = new KernelRecording();
    let results: KernelResult[];
    try {
      tf.tidy(() => {
        tf.dispose(lossOf(recording.run, tf.tensor2d(values, [input.labels.length, model.dim])));
      });
      results = await recording.resolve();
    } finally {
      recording.dispose();
    }
    const replay = new KernelReplay(results);
    const total = optimizer.minimize(() => kept.take(lossOf(replay.run, model.apply(x))), true, model.variables as tf.Variable[]);
    try {
      replay.finish();
    } catch (e) {
      total?.dispose();
      throw e;
    }
    const [lossValues, parts] = await Promise.all([total!.data(), kept.read()]);
    total!.dispose();
    opts.keyEncoder?.update();
    return { loss: lossValues[0], ...parts, embeddings: opts.keepEmbeddings ? values.slice() : null, memoryAges: memoryAges(write, written, input, opts) };
  } finally {
    kept.dispose();
    tf.dispose([x, y]);
    if (view) tf.dispose([view.embeddings, view.labels]);
  }
}

/** What writing the batch into the memory left for the loss and the in-loss staleness. */
export interface MemoryWrite {
  selfSlots: Int32Array;
  returned: ReturnedSample[];
  /** active pairs per memory row, filled by the memory loss (in-loss staleness with the memory loss on; else null) */
  activity: Int32Array | null;
}

/**
 * Writes the batch into the memory (memory/adapt/adapter.ts): the batch's samples still stored
 * (read before anything is overwritten), the strategy's correction of the stored rows, then the
 * enqueue of the fresh features, or the key encoder's. The same host code for both step variants.
 */
export function writeMemory(memory: CrossBatchMemory, input: StepInput, fresh: Float32Array, keys: Float32Array | null, opts: StepOptions): MemoryWrite {
  const adapter = opts.adapter ?? null;
  const returned = opts.inLossStaleness || adapter?.adapt ? memory.returned(fresh, input.sampleIds, input.iteration) : [];
  if (adapter?.adapt) memory.adaptRows((a) => adapter.adapt!(a), fresh, returned);
  const selfSlots = memory.enqueue(keys ?? fresh, input.labels, input.sampleIds, input.iteration, { refreshById: adapter?.refreshById ?? false });
  // After the enqueue the memory holds exactly the rows the loss will see.
  return { selfSlots, returned, activity: opts.inLossStaleness && opts.memoryLoss ? new Int32Array(memory.size) : null };
}

/** The step's in-loss staleness rows, when asked for and the batch was enqueued. */
export function memoryAges(memory: CrossBatchMemory | null, written: MemoryWrite | null, input: StepInput, opts: StepOptions): AgeBinStats[] | null {
  if (!opts.inLossStaleness || !memory || !written) return null;
  return inLossStaleness(written.returned, memory.slotAges(input.iteration), written.selfSlots, input.labels.length, written.activity);
}

function readKeys(keys: tf.Tensor2D): Float32Array {
  try {
    return keys.dataSync() as Float32Array;
  } finally {
    keys.dispose();
  }
}

export function batchTensors(model: Embedder, input: StepInput): [tf.Tensor4D, tf.Tensor1D] {
  const [h, w, c] = model.inputShape;
  const n = input.labels.length;
  return [tf.tensor4d(input.pixels, [n, h, w, c]), tf.tensor1d(input.labels, 'int32')];
}

/** The memory as the loss sees it this step, or null when its term is off or it is empty. */
export function memoryView(memory: CrossBatchMemory | null, opts: StepOptions): { embeddings: tf.Tensor2D; labels: tf.Tensor1D } | null {
  return memory && opts.memoryLoss && memory.size > 0 ? memory.view() : null;
}

type Stats = { positive: tf.Scalar; negative: tf.Scalar; active: tf.Scalar };

/** The loss's parts, kept out of the optimizer's tidy so they can be read after the update. */
export class KeptParts {
  private parts: { batchLoss: tf.Scalar; memoryLoss: tf.Scalar; batchStats: Stats; memoryStats: Stats } | null = null;
  private readonly kept: tf.Tensor[] = [];

  /** Keeps r's parts; returns the total loss for minimize. */
  take(r: XbmLossOutput): tf.Scalar {
    const keep = <T extends tf.Tensor>(t: T): T => {
      this.kept.push(tf.keep(t));
      return t;
    };
    const stats = (s: Stats): Stats => ({ positive: keep(s.positive), negative: keep(s.negative), active: keep(s.active) });
    this.parts = { batchLoss: keep(r.batchLoss), memoryLoss: keep(r.memoryLoss), batchStats: stats(r.batchStats), memoryStats: stats(r.memoryStats) };
    return r.loss;
  }

  readSync(): Omit<StepResult, 'loss' | 'embeddings' | 'memoryAges'> {
    const p = this.parts!;
    return { batchLoss: p.batchLoss.dataSync()[0], memoryLoss: p.memoryLoss.dataSync()[0], batchStats: readPairStats(p.batchStats), memoryStats: readPairStats(p.memoryStats) };
  }

  /** All parts in one wait: on webgpu each separate await is a round trip to the GPU. */
  async read(): Promise<Omit<StepResult, 'loss' | 'embeddings' | 'memoryAges'>> {
    const p = this.parts!;
    const all = [p.batchLoss, p.memoryLoss, p.batchStats.positive, p.batchStats.negative, p.batchStats.active, p.memoryStats.positive, p.memoryStats.negative, p.memoryStats.active];
    const [batchLoss, memoryLoss, bp, bn, ba, mp, mn, ma] = (await Promise.all(all.map((t) => t.data()))).map((v) => v[0]);
    return { batchLoss, memoryLoss, batchStats: { positive: bp, negative: bn, active: ba }, memoryStats: { positive: mp, negative: mn, active: ma } };
  }

  dispose(): void {
    tf.dispose(this.kept);
  }
}
