import type { FlagSpec, GivenFlags, TakeDefault } from '../../flag-spec.js';

/**
 * Memory compensation (--xbm-adapt): how a strategy corrects the cross-batch memory for feature
 * drift. Each strategy is one file exporting an AdaptStrategy and one line in index.ts. This
 * module and the strategies' definitions load without TensorFlow.js (the config reads the
 * registry); the momentum strategy's key encoder lives in train/key-encoder.ts.
 *
 * A step with a strategy (train/step.ts, memory/memory-update.ts):
 *   1. embed the batch (fresh features);
 *   2. pair each batch row with the memory rows of the same sample id (`returned`: the in-loss
 *      staleness, and SDC's drift vectors), before anything is overwritten;
 *   3. adapt(): correct the stored rows in place;
 *   4. enqueue the batch: the fresh features, or the key encoder's (keyMomentum), overwriting a
 *      sample's old row when refreshById;
 *   5. the loss on the memory as it now is.
 */

/** A batch row whose sample id is also stored in the memory: its true drift over that row's age. */
export interface ReturnedSample {
  /** the row of the batch */
  row: number;
  /** the memory slot holding an older copy of the same sample */
  slot: number;
  /** iterations since that copy was written */
  age: number;
  /** ||fresh - stored||^2, in float64 */
  sqDrift: number;
}

/** What a strategy sees of the step, all on the host (float32, row-major). */
export interface AdaptInput {
  /** the memory's filled rows [size, dim], the live buffer: a strategy writes its corrections here */
  rows: Float32Array;
  size: number;
  dim: number;
  /** the batch's fresh embeddings [n, dim] (never changed) */
  batch: Float32Array;
  returned: readonly ReturnedSample[];
}

/** One strategy as a run uses it (built from its config for one run). */
export interface MemoryAdapter {
  /** correct the stored rows in place before this batch is enqueued; absent: rows stay as written */
  adapt?(input: AdaptInput): void;
  /** a sample seen again overwrites its old row instead of adding a duplicate */
  readonly refreshById?: boolean;
  /** fill the memory from a momentum key encoder theta_k <- m theta_k + (1 - m) theta_q (train/key-encoder.ts) */
  readonly keyMomentum?: number;
  /** state a checkpoint must hold for a bit-identical resume (float32, so it survives exactly); null: none yet */
  state?(): Float32Array | null;
  restore?(values: Float32Array): void;
}

/** What a run knows when it builds its strategy. */
export interface AdaptEnv {
  dim: number;
  /** classes in the training split */
  trainClasses: number;
  /** distinct classes one batch holds (P of a P x K sampler; the batch size, capped at the classes, for a shuffle) */
  classesPerBatch: number;
}

export interface AdaptStrategy<C extends { kind: string } = { kind: string }, F extends FlagSpec = never> {
  readonly kind: C['kind'];
  /** one line for --help and the README */
  readonly describe: string;
  /** the train flags its parameters are given by (declared here; the CLI's options come from them); absent: none */
  readonly flags?: readonly F[];
  /** its config from those flags (defaults through `take`); absent: `{ kind }`. Throws a UserError naming the flag. */
  fromFlags?(flags: GivenFlags, take: TakeDefault): C;
  create(config: C, env: AdaptEnv): MemoryAdapter;
}

/** Scales each of the `size` rows of `rows` (width dim) to unit length; a zero row stays zero. */
export function normaliseRows(rows: Float32Array, size: number, dim: number): void {
  for (let j = 0; j < size; j++) {
    const o = j * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += rows[o + k] * rows[o + k];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < dim; k++) rows[o + k] *= inv;
  }
}
