import { tf } from '../backend/tf.js';
import type { KernelResult, KernelRunner, PairMask, SimilarityLossKernel } from './pair-loss.js';

/**
 * Kernel runners for backends that read tensors only asynchronously (webgpu).
 *
 * The loss kernels run on the host (pair-loss.ts says why), so S must be read back in the middle
 * of the forward pass. cpu, wasm and tfjs-node read it synchronously, in place (pair-loss.ts's
 * runDirect). The webgpu backend can only read asynchronously, and a tfjs gradient tape cannot
 * span an await, so an async step evaluates its loss twice with the same inputs, each time with
 * a loss given its own runner (PairLoss.withKernelRunner):
 *   1. a KernelRecording's runner keeps every S and does not run the kernels (the pass's values are dummies);
 *   2. the caller awaits each S and runs the kernels (KernelRecording.resolve);
 *   3. a KernelReplay's runner, inside the gradient tape: each call takes the next result, in call order.
 * Both passes compute S from identical inputs with identical ops, so the mining decisions and the
 * gradient are those of the direct path. The runners belong to one step: no other loss call sees them.
 */
interface Recorded {
  kernel: SimilarityLossKernel;
  pairs: PairMask;
  s: tf.Tensor;
}

/** Collects each S a loss computes; resolve() runs the kernels on them. */
export class KernelRecording {
  private readonly recorded: Recorded[] = [];

  readonly run: KernelRunner = (kernel, s, pairs) => {
    // Kept, not copied: S is this pass's own tensor and is read once before it is disposed.
    this.recorded.push({ kernel, pairs, s: tf.keep(s) });
    // Never used: a recording pass only collects S.
    return { value: 0, grad: new Float32Array(pairs.nq * pairs.nr), active: 0 };
  };

  /** Reads each recorded S asynchronously and runs its kernel; disposes the recorded tensors. */
  async resolve(): Promise<KernelResult[]> {
    const recorded = this.recorded.splice(0);
    try {
      const values = await Promise.all(recorded.map((r) => r.s.data() as Promise<Float32Array>));
      return recorded.map((r, i) => r.kernel(values[i], r.pairs));
    } finally {
      tf.dispose(recorded.map((r) => r.s));
    }
  }

  /** Frees what was recorded and not resolved (a pass that threw). */
  dispose(): void {
    tf.dispose(this.recorded.splice(0).map((r) => r.s));
  }
}

/** Answers the loss calls of the gradient pass, in order, with a recording's results. */
export class KernelReplay {
  private next = 0;
  constructor(private readonly results: KernelResult[]) {}

  readonly run: KernelRunner = (_kernel, _s, pairs) => {
    const r = this.results[this.next++];
    if (r === undefined || r.grad.length !== pairs.nq * pairs.nr) {
      throw new Error(`replayed loss call ${this.next} does not match the recording (${this.results.length} recorded)`);
    }
    return r;
  };

  /** Throws unless every recorded result was used. */
  finish(): void {
    if (this.next !== this.results.length) throw new Error(`the replay made ${this.next} loss calls, the recording ${this.results.length}`);
  }
}
