import { totalmem } from 'node:os';
import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import type { Embedder } from '../model/embedder.js';
import type { BackendInfo } from '../backend/init-backend.js';
import type { TrainConfig } from '../config/train-config.js';

const FLOAT32_BYTES = 4;
/**
 * The loss's [batch, batch + memory] float32 matrices alive at its peak, its gradient included
 * (similarities, pair masks, the kernel's gradient): every registered loss with every reducer
 * peaked at 5.3 of them (batch 64, memory 1024, cpu), so 7 leaves a margin.
 */
const LOSS_MATRICES = 7;

/**
 * Copies of the trainable weights alive at the end of an update: tfjs's optimizers update every
 * weight inside one tidy, so each intermediate of every weight's update lives until the last
 * weight is done (Adam: 14 per weight, the moments, their bias corrections, the step and the new
 * value; SGD with momentum: 4). Measured by scripts/bench-micro-batch.ts: the update, not the
 * pass, is a small model's peak.
 */
const UPDATE_COPIES = { adam: 14, sgd: 4 } as const;

/** The share of the limit a suggested --micro-batch's estimate may take. */
const SUGGESTED_SHARE = 0.75;

/** What a step holds besides the passes: measured once, before the first step. */
export interface StepMemory {
  /** tensors alive now: the weights (trainable or not) and anything else the session made */
  held: number;
  /** state the first step creates: the optimizer's slots (Adam 2, SGD with momentum 1 per weight) and the key encoder's copy */
  created: number;
  /** a forward and backward pass's bytes that do not grow with its samples (the weights' gradients) */
  fixed: number;
  /** a forward and backward pass's bytes per sample (the activations the tape keeps) */
  perSample: number;
  /** trainable weights' bytes: the gradients, and the summed gradients of a micro-batched step */
  trainable: number;
  optimizer: 'adam' | 'sgd';
  dim: number;
}

/** The settings of the step whose peak is estimated. */
export interface StepShape {
  batch: number;
  /** --micro-batch; undefined: the whole batch in one pass */
  microBatch: number | undefined;
  /** rows of the memory the loss reads (--xbm-size; 0 without) */
  memoryRows: number;
}

/**
 * The peak tensor bytes of `fn` above those alive before it, as TensorFlow.js's engine counts
 * them (tf.profile: the bytes alive after each kernel). The same count on every backend; it leaves
 * out a backend's scratch outside tensors (wasm's convolution buffers), a few percent.
 */
export async function peakTensorBytes(fn: () => void): Promise<number> {
  const before = tf.memory().numBytes;
  try {
    const info = await tf.profile(fn);
    return Math.max(0, info.peakBytes - before);
  } catch (e) {
    // tf.profile leaves the engine profiling every later kernel when fn throws: switch it off.
    (tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling = false;
    throw e;
  }
}

/**
 * Measures the model's passes: one forward and backward pass (a sum of the embeddings, no update)
 * at 1 and at 2 random samples; tensor bytes grow linearly with the samples, so the two give the
 * fixed part and the part per sample. Changes no weight.
 */
export async function measureStepMemory(model: Embedder, optimizer: 'adam' | 'sgd', keyEncoder: boolean): Promise<StepMemory> {
  const [h, w, c] = model.inputShape;
  const pass = (n: number) => peakTensorBytes(() => {
    const x = tf.randomUniform([n, h, w, c]) as tf.Tensor4D;
    const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(x)), model.variables);
    tf.dispose([x, value, ...Object.values(grads)]);
  });
  const one = await pass(1);
  const two = await pass(2);
  const trainable = model.variables.reduce((s, v) => s + v.size * FLOAT32_BYTES, 0);
  const perSample = Math.max(0, two - one);
  return {
    held: tf.memory().numBytes,
    created: trainable * ((optimizer === 'adam' ? 2 : 1) + (keyEncoder ? 1 : 0)),
    fixed: Math.max(0, one - perSample),
    perSample,
    trainable,
    optimizer,
    dim: model.dim,
  };
}

/**
 * The step's peak tensor bytes: what is held and what the first step creates, then the larger of
 * the passes (one pass of the largest chunk, the memory as the loss reads it and the loss's
 * matrices; a micro-batched step also holds the summed gradients and the batch's embeddings with
 * their gradient, train/gradient-cache.ts) and the update (the gradients and the optimizer's
 * intermediates).
 */
export function stepBytes(m: StepMemory, s: StepShape): number {
  const loss = LOSS_MATRICES * s.batch * (s.batch + s.memoryRows) * FLOAT32_BYTES;
  const memoryView = s.memoryRows * (m.dim + 1) * FLOAT32_BYTES;
  const passes = s.microBatch === undefined
    ? m.fixed + s.batch * m.perSample
    : m.fixed + Math.min(s.microBatch, s.batch) * m.perSample + m.trainable + 2 * s.batch * m.dim * FLOAT32_BYTES;
  const update = m.trainable * (1 + UPDATE_COPIES[m.optimizer]);
  return m.held + m.created + Math.max(passes + loss + memoryView, update);
}

/** The most tensor bytes a backend can hold, and what that is; null where it cannot be known. */
export interface MemoryLimit { bytes: number; what: string }

/**
 * wasm: the 4 GiB a wasm32 heap can address (tfjs's wasm module may grow to exactly that); cpu
 * and tfjs-node: the machine's memory (their tensors are the process's memory); webgpu: none,
 * since WebGPU tells the size of the largest buffer but not how much memory the GPU has.
 */
export function backendMemoryLimit(backend: string): MemoryLimit | null {
  if (backend === 'wasm') return { bytes: 2 ** 32, what: 'a wasm32 heap (all it can address)' };
  if (backend === 'cpu' || backend === 'tensorflow') return { bytes: totalmem(), what: "this machine's memory" };
  return null;
}

/**
 * Refuses, before the first step, a step whose estimated peak is over what the backend can hold
 * (`limitBytes` in its place: tests, a library caller's budget), in one line with what it needs
 * and the --micro-batch that fits, never a stall or a crash deep in the backend. A step that fits
 * but takes more than three quarters of the limit gets a warning (returned; null otherwise): the
 * count leaves out a backend's scratch outside tensors (wasm's XNNPACK buffers), which may then
 * not fit. The --micro-batch suggested is the largest divisor of the batch within three quarters
 * of the limit, else within it. Nothing is measured where the limit cannot be known (webgpu).
 */
export async function checkStepFits(model: Embedder, config: TrainConfig, backend: BackendInfo, keyEncoder: boolean, limitBytes?: number): Promise<string | null> {
  const limit = limitBytes === undefined ? backendMemoryLimit(backend.name) : { bytes: limitBytes, what: 'the limit given (stepMemoryLimit)' };
  if (!limit) return null;
  const s: StepShape = { batch: config.batchSize, microBatch: config.microBatch, memoryRows: config.xbm.size };
  const m = await measureStepMemory(model, config.optimizer.kind, keyEncoder);
  const need = stepBytes(m, s);
  if (need <= SUGGESTED_SHARE * limit.bytes) return null;
  const smaller = divisors(s.batch).reverse().filter((n) => n < (s.microBatch ?? s.batch + 1));
  const within = (bytes: number) => smaller.find((n) => stepBytes(m, { ...s, microBatch: n }) <= bytes);
  const fits = within(SUGGESTED_SHARE * limit.bytes) ?? (need > limit.bytes ? within(limit.bytes) : undefined);
  const suggestion = fits === undefined ? null : { microBatch: fits, bytes: stepBytes(m, { ...s, microBatch: fits }) };
  if (need <= limit.bytes) return M.stepNearLimit(s.batch, s.microBatch, need, limit, suggestion);
  throw new UserError(M.stepTooLarge(s.batch, s.microBatch, need, limit, suggestion, stepBytes(m, { ...s, microBatch: 1 })));
}

/** 1 .. n's divisors, ascending. */
function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}
