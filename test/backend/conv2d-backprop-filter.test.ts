/**
 * The wasm filter gradient (Conv2DBackpropFilter) against a naive float64 reference, element by
 * element, within a derived bound:
 * each dW entry is a sum of K = b*ho*wo products x*dy of float32 values (exact in float64). In
 * float32 each product rounds once and a sum of K terms in any order (XNNPACK's blocking, our
 * chunk sums) rounds at most K - 1 + (chunks - 1) times on any path from a term to the result, so
 * |dW - dW_exact| <= gamma(K + chunks) * sum |x*dy|, gamma(n) = n u / (1 - n u), u = 2^-24
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 3.1; fused multiply-adds
 * only remove roundings). The float64 reference's own error is far below it. A wrong index, a
 * missed or double-counted term or chunk gives errors of the order of the terms themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { conv2dBackpropFilterLimits } from '../../src/backend/wasm-kernels/conv2d-backprop-filter.js';
import { Rng } from '../../src/random.js';
import { randomArray, runOn } from './compare.js';
import { initTestWasm, testThreads } from './setup.js';

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

interface Case { b: number; h: number; w: number; ci: number; co: number; k: number; stride: number; pad: 'same' | 'valid' }

const U = 2 ** -24;
const gamma = (n: number): number => (n * U) / (1 - n * U);

/** dW and sum |x*dy| per entry, in float64, straight from the definition. */
function reference(x: Float32Array, dy: Float32Array, c: Case, ho: number, wo: number, top: number, left: number) {
  const { b, h, w, ci, co, k, stride } = c;
  const dw = new Float64Array(k * k * ci * co);
  const abs = new Float64Array(k * k * ci * co);
  for (let n = 0; n < b; n++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        for (let i = 0; i < k; i++) {
          const y = oh * stride + i - top;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < k; j++) {
            const xx = ow * stride + j - left;
            if (xx < 0 || xx >= w) continue;
            for (let p = 0; p < ci; p++) {
              const xv = x[((n * h + y) * w + xx) * ci + p];
              for (let q = 0; q < co; q++) {
                const t = xv * dy[((n * ho + oh) * wo + ow) * co + q];
                const at = ((i * k + j) * ci + p) * co + q;
                dw[at] += t;
                abs[at] += Math.abs(t);
              }
            }
          }
        }
      }
    }
  }
  return { dw, abs };
}

async function check(c: Case, seed: number): Promise<void> {
  const info = tf.backend_util.computeConv2DInfo(
    [c.b, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.stride, 1, c.pad, undefined, false, 'channelsLast');
  const [ho, wo] = [info.outHeight, info.outWidth];
  const rng = new Rng(seed);
  const inputs = { x: randomArray(rng, [c.b, c.h, c.w, c.ci]), dy: randomArray(rng, [c.b, ho, wo, c.co]) };
  const got = await runOn('wasm', inputs, (t) => tf.engine().runKernel('Conv2DBackpropFilter', { x: t.x, dy: t.dy }, {
    strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.ci, c.co],
  } as unknown as tf.NamedAttrMap) as tf.Tensor);
  const label = `x[${c.b},${c.h},${c.w},${c.ci}] ${c.k}x${c.k}/${c.stride} ${c.pad} co ${c.co}`;
  assert.equal(got.leakedTensors, 0, `${label}: tensors leaked`);
  assert.equal(got.leakedBuffers, 0, `${label}: wasm buffers leaked`);
  const ref = reference(inputs.x.values, inputs.dy.values, c, ho, wo, info.padInfo.top, info.padInfo.left);
  const perImage = c.k * c.k * c.ci * ho * wo;
  const chunks = Math.ceil(c.b / Math.max(1, Math.floor(conv2dBackpropFilterLimits.maxColElements / perImage)));
  const bound = gamma(c.b * ho * wo + chunks);
  const out = got.outputs[0];
  assert.equal(out.length, ref.dw.length, label);
  for (let e = 0; e < out.length; e++) {
    const err = Math.abs(out[e] - ref.dw[e]);
    assert.ok(err <= bound * ref.abs[e], `${label}, entry ${e}: |${out[e]} - ${ref.dw[e]}| = ${err.toExponential(2)} > ${(bound * ref.abs[e]).toExponential(2)}`);
  }
}

const CASES: Case[] = [];
for (const k of [1, 3, 5]) {
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      CASES.push({ b: 1, h: 7 + k, w: 9, ci: 3, co: 7, k, stride, pad });
      CASES.push({ b: 16, h: 9, w: 6 + k, ci: 5, co: 6, k, stride, pad });
    }
  }
}

describe(`Conv2DBackpropFilter on wasm vs a float64 reference (${testThreads()} thread(s))`, () => {
  test('1x1, 3x3, 5x5; strides 1 and 2; same and valid; batch 1 and 16; channels not multiples of 4', async () => {
    for (const [i, c] of CASES.entries()) await check(c, 100 + i);
  });

  test('the same with the batch split into chunks of one to three images', async () => {
    const saved = conv2dBackpropFilterLimits.maxColElements;
    try {
      for (const [i, c] of CASES.filter((c) => c.b > 1).entries()) {
        const info = tf.backend_util.computeConv2DInfo(
          [c.b, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.stride, 1, c.pad, undefined, false, 'channelsLast');
        conv2dBackpropFilterLimits.maxColElements = c.k * c.k * c.ci * info.outHeight * info.outWidth * (1 + (i % 3));
        await check(c, 200 + i);
      }
    } finally {
      conv2dBackpropFilterLimits.maxColElements = saved;
    }
  });
});
