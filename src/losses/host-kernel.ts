import { tf } from '../backend/tf.js';
import type { PairMask, SimilarityLossKernel } from './pair-loss.js';

/** What a host kernel returns for one similarity matrix. */
export type KernelResult = ReturnType<SimilarityLossKernel>;

/**
 * How computePairLoss obtains a kernel's result for a similarity matrix S on the device.
 *
 * The loss kernels run on the host (pair-loss.ts says why), so S must be read back in the middle
 * of the forward pass. cpu, wasm and tfjs-node read it synchronously, in place ('direct'). The
 * webgpu backend can only read asynchronously, and a tfjs gradient tape cannot span an await, so
 * an async step evaluates its loss twice with the same inputs:
 *   1. 'record': every S is kept and the kernels are not run (the pass returns dummy values);
 *   2. the caller awaits each S, runs the kernels (resolveRecorded);
 *   3. 'replay', inside the gradient tape: each call takes the next result, in call order.
 * Both passes compute S from identical inputs with identical ops, so the mining decisions and the
 * gradient are those of the direct path; the price is the recording pass's forward.
 */
type Mode =
  | { kind: 'direct' }
  | { kind: 'record'; recorded: Recorded[] }
  | { kind: 'replay'; results: KernelResult[]; next: number };

interface Recorded {
  kernel: SimilarityLossKernel;
  pairs: PairMask;
  s: tf.Tensor;
}

let mode: Mode = { kind: 'direct' };

/** Called by computePairLoss with S (inside its customGrad): the kernel's result in the current mode. */
export function hostKernelResult(kernel: SimilarityLossKernel, s: tf.Tensor, pairs: PairMask): KernelResult {
  if (mode.kind === 'direct') return kernel(s.dataSync() as Float32Array, pairs);
  if (mode.kind === 'record') {
    // Kept, not copied: S is this pass's own tensor and is read once before it is disposed.
    mode.recorded.push({ kernel, pairs, s: tf.keep(s) });
    // Never used: a recording pass only collects S.
    return { value: 0, grad: new Float32Array(pairs.nq * pairs.nr), active: 0 };
  }
  const r = mode.results[mode.next++];
  if (r === undefined || r.grad.length !== pairs.nq * pairs.nr) {
    throw new Error(`replayed loss call ${mode.next} does not match the recording (${mode.results.length} recorded)`);
  }
  return r;
}

/** Runs fn with every host kernel call recorded instead of run; the caller must resolveRecorded. */
export function recordHostKernels<T>(fn: () => T): { out: T; recorded: Recorded[] } {
  const recorded: Recorded[] = [];
  const outer = mode;
  mode = { kind: 'record', recorded };
  try {
    return { out: fn(), recorded };
  } catch (e) {
    tf.dispose(recorded.map((r) => r.s));
    throw e;
  } finally {
    mode = outer;
  }
}

/** Reads each recorded S asynchronously and runs its kernel; disposes the recorded tensors. */
export async function resolveRecorded(recorded: Recorded[]): Promise<KernelResult[]> {
  try {
    const values = await Promise.all(recorded.map((r) => r.s.data() as Promise<Float32Array>));
    return recorded.map((r, i) => r.kernel(values[i], r.pairs));
  } finally {
    tf.dispose(recorded.map((r) => r.s));
  }
}

/** Runs fn with the host kernel calls answered, in order, by results; all must be consumed. */
export function replayHostKernels<T>(results: KernelResult[], fn: () => T): T {
  const outer = mode;
  const replay: Mode = { kind: 'replay', results, next: 0 };
  mode = replay;
  try {
    const out = fn();
    if (replay.next !== results.length) throw new Error(`the replay made ${replay.next} loss calls, the recording ${results.length}`);
    return out;
  } finally {
    mode = outer;
  }
}
