/** Test helpers on the tfjs side: seeded data and a loss evaluated with its gradients, as numbers. */
import { tf } from '../../src/backend/tf.js';
import { UserError } from '../../src/errors.js';
import type { PairLoss } from '../../src/losses/pair-loss.js';
import { readPairStats } from '../../src/losses/pair-loss.js';
import { Rng } from '../../src/random.js';
import type { Mat, NaiveResult } from './naive.js';

/** n random unit rows of width d, rounded to float32 so tfjs and the float64 reference see equal inputs. */
export function randomRows(rng: Rng, n: number, d: number): Mat {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => Math.fround(x / norm));
  });
}

export function randomLabels(rng: Rng, n: number, classes: number): number[] {
  return Array.from({ length: n }, () => rng.int(classes));
}

export const matrix = (m: Mat, d: number): tf.Tensor2D => tf.tensor2d(m.flat(), [m.length, d], 'float32');
export const labels = (l: number[]): tf.Tensor1D => tf.tensor1d(l, 'int32');
export const toMat = (t: tf.Tensor): Mat => t.arraySync() as Mat;

export interface Evaluated extends NaiveResult {
  gradQ: Mat;
  gradRef: Mat;
}

/** loss.compute on separate q and ref: value, stats and gradients w.r.t. q and ref. Disposes everything. */
export function evaluate(loss: PairLoss, q: Mat, ql: number[], ref: Mat, rl: number[], self?: number[]): Evaluated {
  const d = (q[0] ?? ref[0]).length;
  const [qt, rt, qlt, rlt] = [matrix(q, d), matrix(ref, d), labels(ql), labels(rl)];
  const selfIndex = self == null ? undefined : Int32Array.from(self);
  const out = loss.compute(qt, qlt, rt, rlt, selfIndex);
  const stats = readPairStats(out.stats);
  const value = out.loss.dataSync()[0];
  tf.dispose(out);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss.compute(a as tf.Tensor2D, qlt, b as tf.Tensor2D, rlt, selfIndex).loss)([qt, rt]);
  const result = { loss: value, ...stats, gradQ: toMat(grads[0]), gradRef: toMat(grads[1]) };
  tf.dispose([qt, rt, qlt, rlt, ...grads]);
  return result;
}

/** The in-batch case: q and ref are one tensor x, self = the diagonal; gradient w.r.t. x. */
export function evaluateInBatch(loss: PairLoss, x: Mat, l: number[]): NaiveResult & { grad: Mat } {
  const xt = matrix(x, x[0].length);
  const lt = labels(l);
  const diagonal = Int32Array.from(l, (_, i) => i);
  const out = loss.compute(xt, lt, xt, lt, diagonal);
  const stats = readPairStats(out.stats);
  const value = out.loss.dataSync()[0];
  tf.dispose(out);
  const [g] = tf.grads((a: tf.Tensor) => loss.compute(a as tf.Tensor2D, lt, a as tf.Tensor2D, lt, diagonal).loss)([xt]);
  const result = { loss: value, ...stats, grad: toMat(g) };
  tf.dispose([xt, lt, g]);
  return result;
}

/** An assert.throws matcher: a UserError with exactly this message. */
export const userError = (message: string) => (e: unknown) => e instanceof UserError && e.message === message;
