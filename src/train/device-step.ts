import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import { createDeviceLoss, DeviceLoss, deviceLossRefusal, type PendingColumns } from '../losses/device-loss.js';
import type { LossConfig } from '../losses/registry.js';
import type { PairLoss } from '../losses/pair-loss.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import type { MemoryAdapter, ReturnedSample } from '../memory/adapt/adapter.js';
import type { XbmCombine } from '../memory/parity/parity.js';
import { xbmLoss } from '../memory/xbm-loss.js';
import { inLossStaleness } from '../memory/in-loss-staleness.js';
import { deviceCorrection, type DeviceCorrection } from '../memory/adapt/device-moments.js';
import { stepMessages as S } from '../messages/step.js';
import { batchTensors, KeptParts, trainStepAsyncReads, type StepInput, type StepOptions, type StepResult } from './step.js';

/**
 * The training step that stays on the device (webgpu, or any backend): one forward pass under
 * the gradient tape and no read of the device before the optimizer's update.
 *   - The loss runs as tensor operations (losses/device-loss.ts), not as host kernels.
 *   - The memory the loss sees is a device tensor: the rows stored before this step (the
 *     device's own copy, kept between steps; uploaded from the host memory when the host changed
 *     it otherwise: a write to the device, never a read), with this batch's embeddings written
 *     into the ring slots the host bookkeeping gives them (detached: a custom op whose gradient
 *     is zero, so no gradient reaches the model through the memory, as on the host).
 *   - The host memory's bookkeeping (labels, sample ids, iterations, the ring's head, refresh by
 *     id) is done before the loss, from what the host knows; the features it stores, the loss's
 *     parts and pair counts, the in-loss staleness (drift of the returned samples, each memory
 *     column's active pairs) are computed on the device and read in one asynchronous wait after
 *     the update, then written to the host memory. So a step returns the same StepResult as
 *     trainStep, complete, and the trainer consumes it as before (metrics.csv unchanged).
 * What has no tensor version (asyncStepFor says why) trains with trainStepAsyncReads.
 */
export async function deviceTrainStep(
  model: Embedder,
  loss: PairLoss,
  optimizer: tf.Optimizer,
  memory: CrossBatchMemory | null,
  input: StepInput,
  opts: StepOptions,
): Promise<StepResult> {
  if (!(loss instanceof DeviceLoss)) throw new Error(`deviceTrainStep needs a DeviceLoss (createDeviceLoss), got "${loss.name}"`);
  const refusal = memoryRefusal(opts.adapter ?? null, opts.combine);
  if (refusal !== null) throw new Error(`deviceTrainStep: ${refusal}`);
  const [x, y] = batchTensors(model, input);
  const kept = new KeptParts();
  const columns: PendingColumns[] = [];
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  try {
    const write = memory && opts.enqueue ? memory : null;
    // --xbm-adapt moments: the stored rows are corrected on the device too, then read back whole.
    const correction = write && opts.adapter ? deviceCorrection(opts.adapter) : null;
    // The key encoder's features (--xbm-adapt momentum) are computed before the tape, as in trainStep.
    const keys = write && opts.keyEncoder ? keep(opts.keyEncoder.apply(x)) : null;
    // The rows stored before this batch: the device's copy while it is current, else an upload from the host memory (never a read).
    const stored = memory && (opts.memoryLoss || write) ? storedRows(memory) : null;
    if (stored) owned.push(stored.embeddings, stored.labels);
    const booked = write ? bookBatch(write, input, opts) : null;
    const out: { fresh: tf.Tensor2D | null; drift: tf.Tensor1D | null; after: { embeddings: tf.Tensor2D; labels: tf.Tensor1D } | null; estimate: tf.Tensor1D | null } = { fresh: null, drift: null, after: null, estimate: null };
    const total = optimizer.minimize(() => {
      const emb = model.apply(x);
      if (write || opts.keepEmbeddings) out.fresh = keep(emb);
      if (booked && booked.returned.length > 0) out.drift = keep(returnedDrift(emb, stored!.embeddings, booked.returned));
      const corrected = correction ? { correct: correction, batch: emb, kept: (rows: tf.Tensor2D, estimate: tf.Tensor1D) => ((out.estimate = keep(estimate)), rows) } : null;
      const after = memory && memory.size > 0 && stored ? ringView(stored, booked ? { rows: keys ?? emb, labels: y, slots: booked.selfSlots } : null, memory.size, corrected) : null;
      if (booked && after) out.after = { embeddings: keep(after.embeddings), labels: keep(after.labels) };
      const view = opts.memoryLoss ? after : null;
      const selfSlots = view && booked ? booked.selfSlots : null;
      return kept.take(xbmLoss(loss.withColumnReads(columns), emb, y, view, selfSlots, opts.weight, view ? booked?.activity ?? undefined : undefined, opts.combine));
    }, true, model.variables as tf.Variable[]);
    // The device's copy of the memory takes this step's rows in place (no read).
    const ring = write && out.after ? mirror(write, out.after) : null;
    if (total) owned.push(total);
    opts.keyEncoder?.update();
    // Everything the host needs, in one wait after the update.
    const features = correction ? out.after!.embeddings : keys ?? out.fresh;
    const [lossValue, parts, values, written, drifts, counts, estimate] = await Promise.all([
      total!.data().then((v) => v[0]),
      kept.read(),
      out.fresh ? (out.fresh.data() as Promise<Float32Array>) : null,
      write && features ? (features.data() as Promise<Float32Array>) : null,
      out.drift ? (out.drift.data() as Promise<Float32Array>) : null,
      Promise.all(columns.map((c) => c.counts.data() as Promise<Int32Array>)),
      out.estimate ? (out.estimate.data() as Promise<Float32Array>) : null,
    ]);
    if (write && booked) {
      // Corrected: every row as the device holds it; else the batch's rows into their slots.
      write.overwriteRows(correction ? Int32Array.from({ length: write.size }, (_, j) => j) : booked.selfSlots, written!);
      if (correction && estimate) correction.accept(Float32Array.from(estimate));
      // The host memory now holds what the device's copy holds.
      if (ring) ring.revision = write.revision;
    }
    columns.forEach((c, i) => c.out.set(counts[i]));
    const memoryAges = booked && opts.inLossStaleness
      ? inLossStaleness(booked.returned.map((r, i) => ({ ...r, sqDrift: drifts![i] })), write!.slotAges(input.iteration), booked.selfSlots, input.labels.length, booked.activity)
      : null;
    return { loss: lossValue, ...parts, embeddings: opts.keepEmbeddings ? Float32Array.from(values!) : null, memoryAges };
  } finally {
    kept.dispose();
    tf.dispose(columns.map((c) => c.counts));
    tf.dispose([x, y, ...owned]);
  }
}

/**
 * The memory's rows and labels kept on the device between steps ([capacity, dim] and [capacity]),
 * current while the host memory's revision is `revision`: a write the device step did not make
 * (the initial fill, a resume, a clear) makes the next step upload the host's rows again.
 */
interface DeviceRing {
  rows: tf.Variable;
  labels: tf.Variable;
  revision: number;
}
const RINGS = new WeakMap<CrossBatchMemory, DeviceRing>();

/** The stored rows in slot order, as new tensors: sliced from the device's copy, or uploaded from the host. */
function storedRows(memory: CrossBatchMemory): { embeddings: tf.Tensor2D; labels: tf.Tensor1D } {
  const ring = RINGS.get(memory);
  if (!ring || ring.rows.isDisposed || ring.labels.isDisposed || ring.revision !== memory.revision) return memory.view();
  const n = memory.size;
  return { embeddings: tf.slice(ring.rows, [0, 0], [n, memory.dim]) as tf.Tensor2D, labels: tf.slice(ring.labels, [0], [n]) as tf.Tensor1D };
}

/** Writes the memory as this step left it into the device's copy (its revision is set once the host memory holds the same). */
function mirror(memory: CrossBatchMemory, after: { embeddings: tf.Tensor2D; labels: tf.Tensor1D }): DeviceRing {
  const { capacity, dim } = memory;
  let ring = RINGS.get(memory);
  if (!ring || ring.rows.isDisposed || ring.labels.isDisposed) {
    ring = tf.tidy(() => ({ rows: tf.variable(tf.zeros([capacity, dim]), false), labels: tf.variable(tf.zeros([capacity], 'int32'), false, undefined, 'int32'), revision: -1 }));
    RINGS.set(memory, ring);
  }
  const r = ring;
  r.revision = -1;
  tf.tidy(() => {
    const free = capacity - after.embeddings.shape[0];
    r.rows.assign(free > 0 ? tf.concat([after.embeddings, tf.zeros([free, dim])]) : after.embeddings);
    r.labels.assign(free > 0 ? tf.concat([after.labels, tf.zeros([free], 'int32')]) : after.labels);
  });
  return r;
}

/** The bookkeeping of this batch's enqueue, done on the host before the loss. */
interface Booked {
  /** the ring slot of each batch row (-1: not kept); the loss's self columns */
  selfSlots: Int32Array;
  /** the batch's samples still stored, paired by id (their drift is measured on the device) */
  returned: ReturnedSample[];
  /** each memory column's active pairs, filled after the update (in-loss staleness with the memory loss on) */
  activity: Int32Array | null;
}

/**
 * Enqueues the batch's labels, ids and iteration into the host memory with placeholder features
 * (the real ones are written after the update: overwriteRows), so the ring's head, the slots and
 * a refresh by id are exactly trainStep's. The returned samples are paired before anything is
 * overwritten, as in trainStep; the pairing needs ids only.
 */
function bookBatch(memory: CrossBatchMemory, input: StepInput, opts: StepOptions): Booked {
  const placeholder = new Float32Array(input.labels.length * memory.dim);
  const returned = opts.inLossStaleness ? memory.returned(placeholder, input.sampleIds, input.iteration) : [];
  const selfSlots = memory.enqueue(placeholder, input.labels, input.sampleIds, input.iteration, { refreshById: opts.adapter?.refreshById ?? false });
  return { selfSlots, returned, activity: opts.inLossStaleness && opts.memoryLoss ? new Int32Array(memory.size) : null };
}

/** ||fresh row - stored copy||^2 of each returned sample, the stored copies as they were before this step. */
function returnedDrift(emb: tf.Tensor2D, stored: tf.Tensor2D, returned: readonly ReturnedSample[]): tf.Tensor1D {
  return tf.tidy(() => {
    const rows = tf.gather(emb, tf.tensor1d(returned.map((r) => r.row), 'int32'));
    const slots = tf.gather(stored, tf.tensor1d(returned.map((r) => r.slot), 'int32'));
    return tf.sum(tf.square(tf.sub(rows, slots)), 1) as tf.Tensor1D;
  });
}

/**
 * The memory as the loss sees it after this batch's enqueue: `size` rows in slot order, each the
 * stored row or, in the slots the batch was written to, the batch's row (the last writer of a
 * slot wins, as in the host enqueue). Made by one gather from [stored; batch]; no gradient flows
 * back into the batch through it.
 */
function ringView(
  stored: { embeddings: tf.Tensor2D; labels: tf.Tensor1D },
  batch: { rows: tf.Tensor2D; labels: tf.Tensor1D; slots: Int32Array } | null,
  size: number,
  corrected: { correct: DeviceCorrection; batch: tf.Tensor2D; kept(rows: tf.Tensor2D, estimate: tf.Tensor1D): tf.Tensor2D } | null = null,
): { embeddings: tf.Tensor2D; labels: tf.Tensor1D } {
  const before = stored.embeddings.shape[0];
  if (!batch) return stored;
  const index = Int32Array.from({ length: size }, (_, j) => j);
  batch.slots.forEach((slot, r) => {
    if (slot >= 0) index[slot] = before + r;
  });
  const idx = tf.tensor1d(index, 'int32');
  // An empty memory is left out of the concatenation (zero-size tensors: see pair-loss.ts).
  const below = <T extends tf.Tensor>(old: T, rows: T): T => (before === 0 ? rows : (tf.concat([old, rows]) as T));
  const labels = tf.gather(below(stored.labels, batch.labels), idx) as tf.Tensor1D;
  const written = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [rows, fresh] = args as [tf.Tensor2D, tf.Tensor2D];
    // The strategy's correction of the stored rows (from the batch's statistics), before the batch is written.
    const old = corrected ? (({ rows: r, estimate }) => corrected.kept(r, estimate))(corrected.correct.correct(stored.embeddings, fresh)) : stored.embeddings;
    return {
      value: tf.gather(below(old, rows), idx),
      // Detached: the memory holds constants, as the host memory's copies do.
      gradFunc: () => [tf.zeros(rows.shape), tf.zeros(fresh.shape)],
    };
  });
  return { embeddings: written(batch.rows, corrected?.batch ?? batch.rows) as tf.Tensor2D, labels };
}

/** Why the memory's configuration needs the host between the forward pass and the loss, or null. */
function memoryRefusal(adapter: MemoryAdapter | null, combine: XbmCombine | undefined, adaptKind = 'its strategy'): string | null {
  if (adapter?.adapt && !deviceCorrection(adapter)) return S.adaptOnHost(adaptKind);
  if (combine === 'live-batch-plus-memory') return S.liveBatchColumns();
  return null;
}

/** What a backend that reads only asynchronously trains with, and the line run.json records about it. */
export interface AsyncStepChoice {
  loss: PairLoss;
  step: typeof deviceTrainStep | typeof trainStepAsyncReads;
  note: string;
}

/**
 * The device step when the loss, its reducer and the memory's configuration have a tensor version;
 * else the record/replay step with the reason (never silently).
 */
export function asyncStepFor(
  config: { loss: LossConfig; xbm: { size: number; combine?: XbmCombine; adapt: { kind: string } } },
  adapter: MemoryAdapter | null,
  hostLoss: () => PairLoss,
): AsyncStepChoice {
  const reason = deviceLossRefusal(config.loss) ?? (config.xbm.size > 0 ? memoryRefusal(adapter, config.xbm.combine, config.xbm.adapt.kind) : null);
  if (reason !== null) return { loss: hostLoss(), step: trainStepAsyncReads, note: S.hostKernelStep(reason) };
  return { loss: createDeviceLoss(config.loss), step: deviceTrainStep, note: S.deviceStep() };
}
