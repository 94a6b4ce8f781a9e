/**
 * The wasm Tile kernel (src/backend/wasm-kernels/tile.ts): tileInto against a naive element-by-
 * element tile, and tf.tile on wasm (ours) against the cpu backend for float32 and int32 over
 * ranks 1-5, including BatchNorm's pattern [1,1,1,C] -> [B,H,W,C]; bool keeps the stock kernel.
 * No tensor or buffer may leak.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { tileInto } from '../../src/backend/wasm-kernels/tile.js';
import { registeredWasmKernels } from '../../src/backend/wasm-kernels/register.js';
import { Rng } from '../../src/random.js';
import { runOn } from './compare.js';
import { initTestWasm } from './setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

/** out[i] = x[(i_0 mod n_0, ..., i_k mod n_k)], one output index at a time. */
function naiveTile(x: Float32Array, shape: number[], reps: number[]): Float32Array {
  const outShape = shape.map((n, i) => n * reps[i]);
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat;
    let src = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      src += (i % shape[d]) * stride;
      stride *= shape[d];
    }
    out[flat] = x[src];
  }
  return out;
}

const CASES: [number[], number[]][] = [
  [[5], [3]],
  [[1], [7]],
  [[2, 3], [1, 1]],
  [[2, 3], [3, 2]],
  [[1, 1, 1, 6], [3, 4, 5, 1]],
  [[2, 1, 3, 2], [1, 3, 1, 2]],
  [[1, 2, 1, 2, 3], [2, 1, 3, 1, 2]],
  [[3, 4], [0, 2]],
];

test('tileInto equals a naive tile', () => {
  const rng = new Rng(1);
  for (const [shape, reps] of CASES) {
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const want = naiveTile(x, shape, reps);
    const got = new Float32Array(want.length);
    tileInto(x, shape, reps, got);
    assert.deepEqual(Array.from(got), Array.from(want), `${JSON.stringify(shape)} x ${JSON.stringify(reps)}`);
  }
});

test('tf.tile on wasm (our kernel) equals cpu for float32 and int32, without leaks', async () => {
  assert.ok(registeredWasmKernels().includes('Tile'));
  const rng = new Rng(2);
  for (const [shape, reps] of CASES) {
    for (const dtype of ['float32', 'int32'] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = dtype === 'float32' ? Float32Array.from({ length: n }, () => rng.normal()) : Int32Array.from({ length: n }, () => rng.int(1000) - 500);
      const f = (t: Record<string, tf.Tensor>) => tf.tile(t.x, reps);
      const ref = await runOn('cpu', { x: { values, shape } }, f);
      const got = await runOn('wasm', { x: { values, shape } }, f);
      assert.deepEqual(Array.from(got.outputs[0]), Array.from(ref.outputs[0]), `${dtype} ${JSON.stringify(shape)} x ${JSON.stringify(reps)}`);
      assert.equal(got.leakedTensors, 0);
      assert.equal(got.leakedBuffers, 0);
    }
  }
  await tf.setBackend('wasm');
  const b = tf.tile(tf.tensor([true, false], [2], 'bool'), [2]);
  assert.deepEqual(Array.from(await b.data()), [1, 0, 1, 0], 'bool goes to the stock kernel');
  b.dispose();
});
