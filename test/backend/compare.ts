/**
 * Helpers of the backend tests: run the same computation on the cpu backend (the reference) and
 * on wasm, from the same host arrays, and compare with a scale-aware relative error.
 */
import { tf } from '../../src/backend/tf.js';
import type { Rng } from '../../src/random.js';

export type Arrays = Record<string, { values: Float32Array | Int32Array; shape: number[] }>;

/** max |a - b| / max |b|: relative to the reference's scale, so small entries are not excused. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (Number.isNaN(b[i])) continue;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export function randomArray(rng: Rng, shape: number[], scale = 1): { values: Float32Array; shape: number[] } {
  const n = shape.reduce((p, q) => p * q, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
  return { values, shape };
}

/** The wasm backend's live data buffers: catches intermediates a kernel forgot to free. */
export function backendBuffers(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

/**
 * Runs `fn` on `backend` over tensors made from `inputs`, returns the outputs' values and checks
 * that neither tensors nor backend buffers were left behind.
 */
export async function runOn(
  backend: 'cpu' | 'wasm',
  inputs: Arrays,
  fn: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
): Promise<{ outputs: Float32Array[]; leakedTensors: number; leakedBuffers: number }> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape, v.values instanceof Int32Array ? 'int32' : 'float32');
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = backendBuffers();
  const result = fn(tensors);
  const list = Array.isArray(result) ? result : [result];
  const outputs = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const leakedBuffers = backendBuffers() - buffersBefore;
  tf.dispose(Object.values(tensors));
  return { outputs, leakedTensors, leakedBuffers };
}
