import { tf } from '../backend/tf.js';
import type { Embedder } from '../model/embedder.js';
import type { FloatEntry } from '../io/float-bundle.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';

const PREFIX = 'key-encoder/';

/**
 * The momentum key encoder of --xbm-adapt momentum (memory/adapt/momentum.ts): a copy of the
 * embedder's trainable weights, theta_k <- m theta_k + (1 - m) theta_q after every update, whose
 * features are what the memory stores. The copy is taken the first time keys are needed (the
 * memory's first fill). Keys are computed by lending theta_k to the embedder for one forward pass
 * (no gradient), so any architecture works without a second model; frozen and non-trainable
 * weights are the same in both encoders.
 */
export class KeyEncoder {
  private keys: tf.Variable[] | null = null;

  constructor(private readonly model: Embedder, readonly momentum: number) {}

  /** The keys of x, [n, dim] (the caller disposes). */
  apply(x: tf.Tensor4D): tf.Tensor2D {
    const vars = this.model.variables;
    this.keys ??= tf.tidy(() => vars.map((v) => tf.variable(tf.clone(v), false)));
    const keys = this.keys;
    return tf.tidy(() => {
      const query = vars.map((v) => tf.clone(v));
      try {
        vars.forEach((v, i) => v.assign(keys[i]));
        return this.model.apply(x);
      } finally {
        vars.forEach((v, i) => v.assign(query[i]));
      }
    });
  }

  /** After an optimizer update: theta_k <- m theta_k + (1 - m) theta_q (nothing before the first copy). */
  update(): void {
    const keys = this.keys;
    if (!keys) return;
    const m = this.momentum;
    tf.tidy(() => this.model.variables.forEach((v, i) => keys[i].assign(tf.add(tf.mul(keys[i], m), tf.mul(v, 1 - m)))));
  }

  /** theta_k for a checkpoint, float32 as the variables hold them: a resume continues bit for bit. */
  async state(): Promise<FloatEntry[]> {
    if (!this.keys) return [];
    return Promise.all(this.keys.map(async (k, i) => ({ name: `${PREFIX}${i}`, shape: k.shape, values: Float32Array.from(await k.data()) })));
  }

  /** Restores theta_k from a checkpoint's floats (none saved: the copy is not taken yet); `file` names them in errors. */
  restore(floats: ReadonlyMap<string, FloatEntry>, file: string): void {
    const vars = this.model.variables;
    const saved = vars.map((_, i) => floats.get(`${PREFIX}${i}`));
    if (saved.every((e) => e === undefined)) return;
    this.dispose();
    saved.forEach((e, i) => {
      if (!e || e.shape.join('x') !== vars[i].shape.join('x')) throw new UserError(M.badCheckpoint(file, `the key encoder's weight ${i} is missing or not of shape [${vars[i].shape}]`));
    });
    this.keys = tf.tidy(() => saved.map((e) => tf.variable(tf.tensor(e!.values, e!.shape), false)));
  }

  dispose(): void {
    if (this.keys) tf.dispose(this.keys);
    this.keys = null;
  }
}
