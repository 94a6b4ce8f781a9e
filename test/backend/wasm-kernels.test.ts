/**
 * Every kernel src/backend/wasm-kernels registers, against the cpu backend's kernel of the same
 * name, on seeded random shapes: paddings same/valid/explicit/number, strides 1 and 2, kernel
 * sizes 1/3/5, several channel and batch counts. Each call must also free every intermediate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf } from '../../src/backend/tf.js';
import { conv2dBackpropFilterLimits } from '../../src/backend/wasm-kernels/conv2d-backprop-filter.js';
import { registeredWasmKernels, WASM_KERNEL_NAMES } from '../../src/backend/wasm-kernels/register.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { randomArray, runOn, scaledError, type Arrays } from './compare.js';
import { initTestWasm, testThreads } from './setup.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

/** Runs one kernel on cpu and wasm from the same inputs; returns the error and checks for leaks. */
async function checkKernel(
  name: string,
  inputs: Arrays,
  attrs: Record<string, unknown>,
  label: string,
): Promise<number> {
  const run = (t: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(name, t as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  return checkOnBoth(inputs, run, label);
}

/** Runs `run` on cpu and wasm from the same inputs; asserts no leaks and agreement; returns the error. */
async function checkOnBoth(inputs: Arrays, run: (t: Record<string, tf.Tensor>) => tf.Tensor, label: string): Promise<number> {
  const ref = await runOn('cpu', inputs, run);
  const got = await runOn('wasm', inputs, run);
  assert.equal(got.leakedTensors, 0, `${label}: tensors leaked`);
  assert.equal(got.leakedBuffers, 0, `${label}: wasm buffers leaked`);
  const err = scaledError(got.outputs[0], ref.outputs[0]);
  assert.ok(err <= TOL.kernelRelative, `${label}: relative error ${err.toExponential(2)}`);
  return err;
}

interface ConvCase {
  b: number; h: number; w: number; ci: number; co: number; k: number; stride: number;
  pad: Pad; rounding?: 'floor' | 'ceil' | 'round';
}

/** Seeded cases over kernel size x stride x padding kind, with random batch, size and channels. */
function convCases(seed: number): ConvCase[] {
  const rng = new Rng(seed);
  const cases: ConvCase[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      const pads: { pad: Pad; rounding?: 'floor' | 'ceil' }[] = [
        { pad: 'same' },
        { pad: 'valid' },
        { pad: [[0, 0], [rng.int(k), rng.int(k)], [rng.int(k), rng.int(k)], [0, 0]] },
        { pad: rng.int(k), rounding: pick(['floor', 'ceil'] as const) },
      ];
      for (const { pad, rounding } of pads) {
        cases.push({
          b: 1 + rng.int(3), h: k + rng.int(8), w: k + rng.int(9), ci: pick([1, 3, 8]), co: pick([1, 4, 7]),
          k, stride, pad, rounding,
        });
      }
    }
  }
  // Padding wider than the kernel: the backprop-input fallback path.
  cases.push({ b: 2, h: 6, w: 5, ci: 3, co: 4, k: 1, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] });
  cases.push({ b: 2, h: 7, w: 6, ci: 2, co: 3, k: 3, stride: 2, pad: [[0, 0], [3, 1], [0, 3], [0, 0]] });
  return cases;
}

function describeCase(c: ConvCase): string {
  return `x[${c.b},${c.h},${c.w},${c.ci}] k${c.k} s${c.stride} co${c.co} pad ${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ''}`;
}

function convOut(c: ConvCase): [number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.b, c.h, c.w, c.ci], [c.k, c.k, c.ci, c.co], c.stride, 1, c.pad, c.rounding, false, 'channelsLast');
  return [info.outHeight, info.outWidth];
}

describe(`wasm kernels vs cpu (${testThreads()} thread(s))`, () => {
  test('all replacement kernels are registered on wasm', () => {
    assert.deepEqual([...registeredWasmKernels()].sort(), [...WASM_KERNEL_NAMES].sort());
  });

  test('Conv2DBackpropFilter', async () => {
    const rng = new Rng(11);
    for (const c of convCases(1)) {
      const [ho, wo] = convOut(c);
      if (ho < 1 || wo < 1) continue;
      const inputs = { x: randomArray(rng, [c.b, c.h, c.w, c.ci]), dy: randomArray(rng, [c.b, ho, wo, c.co]) };
      await checkKernel('Conv2DBackpropFilter', inputs, {
        strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.rounding, filterShape: [c.k, c.k, c.ci, c.co],
      }, describeCase(c));
    }
  });

  test('Conv2DBackpropFilter splits large batches without changing the result', async () => {
    const saved = conv2dBackpropFilterLimits.maxColElements;
    conv2dBackpropFilterLimits.maxColElements = 9 * 3 * 6 * 7 * 2; // two images per chunk
    try {
      const rng = new Rng(12);
      const inputs = { x: randomArray(rng, [5, 6, 7, 3]), dy: randomArray(rng, [5, 6, 7, 4]) };
      await checkKernel('Conv2DBackpropFilter', inputs, {
        strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4],
      }, 'chunked batch');
    } finally {
      conv2dBackpropFilterLimits.maxColElements = saved;
    }
  });

  test('Conv2DBackpropInput', async () => {
    const rng = new Rng(21);
    for (const c of convCases(2)) {
      const [ho, wo] = convOut(c);
      if (ho < 1 || wo < 1) continue;
      const inputs = { dy: randomArray(rng, [c.b, ho, wo, c.co]), filter: randomArray(rng, [c.k, c.k, c.ci, c.co]) };
      await checkKernel('Conv2DBackpropInput', inputs, {
        strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.rounding, inputShape: [c.b, c.h, c.w, c.ci],
      }, describeCase(c));
    }
  });

  test('MaxPoolGrad, ties and non-finite values included', async () => {
    const rng = new Rng(31);
    const pools: { f: number; s: number; pad: Pad; rounding?: 'floor' | 'ceil' }[] = [
      { f: 2, s: 2, pad: 'valid' }, { f: 3, s: 1, pad: 'same' }, { f: 3, s: 2, pad: 'same' }, { f: 2, s: 1, pad: 'valid' },
      { f: 3, s: 2, pad: 1, rounding: 'floor' }, { f: 1, s: 1, pad: 'valid' }, { f: 4, s: 3, pad: 'same' },
      { f: 2, s: 2, pad: 'same' }, { f: 3, s: 3, pad: 'valid' }, { f: 3, s: 2, pad: 'valid' },
    ];
    for (const [i, p] of pools.entries()) {
      const shape = [1 + rng.int(3), p.f + rng.int(7), p.f + rng.int(8), 1 + rng.int(6)];
      const x = randomArray(rng, shape);
      // Coarse values make ties common; the cpu kernel routes a tie to the first maximum.
      for (let k = 0; k < x.values.length; k++) x.values[k] = Math.round(x.values[k] * 2) / 2;
      if (i === 0) {
        x.values[0] = Number.NaN;
        x.values[1] = Number.NEGATIVE_INFINITY;
        x.values[shape[3]] = Number.POSITIVE_INFINITY;
      }
      const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], p.f, p.s, 1, p.pad, p.rounding);
      const inputs = { input: x, dy: randomArray(rng, info.outShape) };
      const label = `x[${shape}] f${p.f} s${p.s} pad ${JSON.stringify(p.pad)}`;
      const attrs = { filterSize: p.f, strides: p.s, pad: p.pad, dimRoundingMode: p.rounding };
      const run = (t: Record<string, tf.Tensor>) => tf.tidy(() => {
        const output = tf.maxPool(t.input as tf.Tensor4D, p.f, p.s, p.pad as 'same', p.rounding);
        return tf.engine().runKernel('MaxPoolGrad', { dy: t.dy, input: t.input, output }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      await checkOnBoth(inputs, run, label);
    }
  });

  test('Sum over leading, middle, inner, all and scattered axes', async () => {
    const rng = new Rng(41);
    const x = randomArray(rng, [4, 5, 6, 7]);
    const axesList = [[0], [0, 1], [0, 1, 2], [1], [1, 2], [2], [3], [2, 3], [0, 1, 2, 3], [0, 2], [-4, -3]];
    for (const axis of axesList) {
      for (const keepDims of [false, true]) {
        await checkKernel('Sum', { x }, { axis, keepDims }, `sum axes ${axis} keepDims ${keepDims}`);
      }
    }
    const ints = { values: Int32Array.from({ length: 60 }, () => rng.int(100) - 50), shape: [3, 4, 5] };
    await checkKernel('Sum', { x: ints }, { axis: [0, 1], keepDims: false }, 'int32 sum');
  });

  test('UnsortedSegmentSum, out-of-range ids dropped', async () => {
    const rng = new Rng(51);
    const cases: { shape: number[]; segments: number; int?: boolean }[] = [
      { shape: [10, 3, 4], segments: 5 }, { shape: [7], segments: 3 }, { shape: [12, 6], segments: 12 }, { shape: [9, 2], segments: 4, int: true },
    ];
    for (const c of cases) {
      const x = c.int
        ? { values: Int32Array.from({ length: c.shape.reduce((p, q) => p * q, 1) }, () => rng.int(20) - 10), shape: c.shape }
        : randomArray(rng, c.shape);
      const ids = { values: Int32Array.from({ length: c.shape[0] }, () => rng.int(c.segments + 2) - 1), shape: [c.shape[0]] };
      await checkKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: c.segments }, `segments x[${c.shape}]`);
    }
  });

  test('Identity and Cast (same dtype shares the buffer, others convert)', async () => {
    const rng = new Rng(71);
    const x = randomArray(rng, [3, 4, 5], 10);
    x.values[0] = 0;
    x.values[1] = -0;
    x.values[2] = 0.25;
    x.values[3] = Number.NaN;
    await checkKernel('Identity', { x }, {}, 'identity');
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await checkKernel('Cast', { x }, { dtype }, `cast float32 -> ${dtype}`);
    }
    const ints = { values: Int32Array.from({ length: 24 }, () => rng.int(2000) - 1000), shape: [4, 6] };
    ints.values[0] = 0;
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await checkKernel('Cast', { x: ints }, { dtype }, `cast int32 -> ${dtype}`);
    }
    // A shared buffer must outlive the tensor it was shared from.
    const kept = await runOn('wasm', { x }, (t) => {
      const y = tf.clone(t.x);
      t.x.dispose();
      return y;
    });
    assert.deepEqual(kept.outputs[0], x.values);
  });

  test('BatchMatMul and fused matMul with every transpose flag, and matMul gradients', async () => {
    const rng = new Rng(81);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const batch of [[], [3]]) {
        const a = randomArray(rng, [...batch, ...(ta ? [7, 5] : [5, 7])]);
        const b = randomArray(rng, [...batch, ...(tb ? [6, 7] : [7, 6])]);
        const label = `matMul [${a.shape}] x [${b.shape}] ${ta} ${tb}`;
        const run = (t: Record<string, tf.Tensor>) => [
          tf.matMul(t.a, t.b, ta, tb),
          tf.fused.matMul({ a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: t.bias, activation: 'relu' }),
          ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), t.w)))([t.a, t.b]),
        ];
        const inputs = { a, b, bias: randomArray(rng, [6]), w: randomArray(rng, [...batch, 5, 6]) };
        const ref = await runOn('cpu', inputs, run);
        const got = await runOn('wasm', inputs, run);
        assert.equal(got.leakedTensors, 0, `${label}: tensors leaked`);
        assert.equal(got.leakedBuffers, 0, `${label}: wasm buffers leaked`);
        ref.outputs.forEach((r, i) => {
          const err = scaledError(got.outputs[i], r);
          assert.ok(err <= TOL.kernelRelative, `${label} output ${i}: relative error ${err.toExponential(2)}`);
        });
      }
    }
  });

  test('fused matMul over a batch of matrices, every activation (the stock kernel misplaces the bias)', async () => {
    const rng = new Rng(82);
    const inputs = { a: randomArray(rng, [3, 5, 7]), b: randomArray(rng, [3, 7, 6]), bias: randomArray(rng, [6]), alpha: randomArray(rng, [6]) };
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
      const run = (t: Record<string, tf.Tensor>) => tf.fused.matMul({
        a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, bias: t.bias, activation,
        preluActivationWeights: activation === 'prelu' ? t.alpha : undefined, leakyreluAlpha: 0.1,
      });
      const ref = await runOn('cpu', inputs, run);
      const got = await runOn('wasm', inputs, run);
      assert.equal(got.leakedBuffers, 0, `${activation}: wasm buffers leaked`);
      const err = scaledError(got.outputs[0], ref.outputs[0]);
      assert.ok(err <= TOL.kernelRelative, `${activation}: relative error ${err.toExponential(2)}`);
    }
  });

  test('the gradient of tf.gather (through UnsortedSegmentSum) matches cpu', async () => {
    const rng = new Rng(61);
    const inputs = { table: randomArray(rng, [20, 8]), w: randomArray(rng, [13, 8]) };
    const idx = Int32Array.from({ length: 13 }, () => rng.int(20));
    const run = (t: Record<string, tf.Tensor>) => tf.tidy(() =>
      tf.grad((table: tf.Tensor) => tf.sum(tf.mul(tf.gather(table, tf.tensor1d(idx, 'int32')), t.w)))(t.table));
    const ref = await runOn('cpu', inputs, run);
    const got = await runOn('wasm', inputs, run);
    assert.equal(got.leakedTensors, 0);
    assert.ok(scaledError(got.outputs[0], ref.outputs[0]) <= TOL.kernelRelative);
  });
});
