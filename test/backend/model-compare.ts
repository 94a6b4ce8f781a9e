/** Gradients of the reference embedder on one backend, and their comparison cpu vs wasm. */
import assert from 'node:assert/strict';
import { createEmbedder, REFERENCE_INPUT } from '../../src/model/embedder.js';
import { tf } from '../../src/backend/tf.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { randomArray, scaledError } from './compare.js';

const [H, W, C] = REFERENCE_INPUT;

/** The reference architecture at reduced size. */
export interface ReferenceOptions { channels: number[]; dim: number; fused?: boolean }

/** Loss value and every variable's gradient, on one backend, from a seeded model and batch. */
export async function gradients(backend: 'cpu' | 'wasm', batch: number, options: ReferenceOptions): Promise<{ loss: number; grads: Float32Array[]; names: string[] }> {
  await tf.setBackend(backend);
  const rng = new Rng(3);
  const model = createEmbedder({ kind: 'cnn', ...options }, REFERENCE_INPUT, rng.fork());
  const data = rng.fork();
  const x = tf.tensor4d(randomArray(data, [batch, H, W, C]).values, [batch, H, W, C]);
  const target = tf.tensor2d(randomArray(data, [batch, model.dim]).values, [batch, model.dim]);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(model.apply(x), target)) as tf.Scalar, model.variables);
  const names = model.variables.map((v) => v.name);
  const out = { loss: value.dataSync()[0], grads: names.map((n) => Float32Array.from(grads[n].dataSync())), names };
  tf.dispose([value, x, target, ...Object.values(grads), ...model.variables]);
  return out;
}

/** Relative error of the loss, then of each variable's gradient, wasm against cpu. */
export async function gradientErrors(batch: number, options: ReferenceOptions): Promise<number[]> {
  const ref = await gradients('cpu', batch, options);
  const got = await gradients('wasm', batch, options);
  const lossError = Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss));
  return [lossError, ...ref.grads.map((g, i) => scaledError(got.grads[i], g))];
}

export async function compareGradients(batch: number, options: ReferenceOptions): Promise<void> {
  const errors = await gradientErrors(batch, options);
  errors.forEach((err, i) => {
    assert.ok(err <= TOL.kernelRelative, `${i === 0 ? 'loss' : `gradient of variable ${i - 1}`}: relative error ${err.toExponential(2)}`);
  });
}
