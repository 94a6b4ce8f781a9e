/**
 * The depthwise-convolution gradient kernels this project adds to wasm
 * (DepthwiseConv2dNativeBackpropFilter / BackpropInput), against the cpu backend's kernels on
 * random inputs over a grid of shapes: odd sizes, strides 1 and 2 (and 2 x 1), same/valid/explicit/
 * number padding (and padding wider than the kernel), kernel 1/3/5, channel multiplier 1/2/3,
 * batch 1 and 3; each call must free every intermediate. Then a small MobileNet v1-style LayersModel (conv s2 + BN + ReLU6, depthwise
 * 3x3 s1/s2 + BN + ReLU6 + 1x1 conv + BN + ReLU6 blocks, global average pool, dense) on
 * 32 x 32 x 3 in training mode: the loss and every trainable weight's gradient on wasm against cpu.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shutdownBackend } from '../../src/backend/init-backend.js';
import { tf, tfjs } from '../../src/backend/tf.js';
import { registeredWasmKernels } from '../../src/backend/wasm-kernels/register.js';
import { Rng } from '../../src/random.js';
import { buildMobileNet } from '../../scripts/step-timing.js';
import { TOL } from '../helpers/tolerances.js';
import { backendBuffers, randomArray, runOn, scaledError, type Arrays } from './compare.js';
import { initTestWasm, testThreads } from './setup.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

before(async () => {
  await initTestWasm();
});
after(async () => {
  await shutdownBackend();
});

interface Case {
  b: number; h: number; w: number; c: number; mult: number; k: number;
  stride: number | [number, number]; pad: Pad; rounding?: 'floor' | 'ceil' | 'round';
}

function label(c: Case): string {
  return `x[${c.b},${c.h},${c.w},${c.c}] k${c.k} x${c.mult} s${JSON.stringify(c.stride)} pad ${JSON.stringify(c.pad)}${c.rounding ? ` ${c.rounding}` : ''}`;
}

/** stride 1/2 x same/valid/explicit/number padding x multiplier 1/2 x batch 1/3 at 3x3, odd sizes; then other kernels and strides. */
function cases(seed: number): Case[] {
  const rng = new Rng(seed);
  const out: Case[] = [];
  for (const stride of [1, 2]) {
    const pads: { pad: Pad; rounding?: 'floor' | 'ceil' }[] = [
      { pad: 'same' },
      { pad: 'valid' },
      { pad: [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]] },
      { pad: 1, rounding: stride === 2 ? 'ceil' : 'floor' },
    ];
    for (const { pad, rounding } of pads) {
      for (const mult of [1, 2]) {
        for (const b of [1, 3]) {
          out.push({ b, h: 5 + 2 * rng.int(3), w: 7 + 2 * rng.int(3), c: 1 + rng.int(6), mult, k: 3, stride, pad, rounding });
        }
      }
    }
  }
  out.push({ b: 2, h: 9, w: 7, c: 4, mult: 1, k: 5, stride: 2, pad: 'same' });
  out.push({ b: 2, h: 8, w: 6, c: 3, mult: 3, k: 5, stride: 1, pad: 'valid' });
  out.push({ b: 3, h: 7, w: 5, c: 5, mult: 2, k: 1, stride: 2, pad: 'same' });
  out.push({ b: 2, h: 7, w: 9, c: 6, mult: 1, k: 3, stride: [2, 1], pad: 'same' });
  out.push({ b: 1, h: 6, w: 6, c: 2, mult: 1, k: 3, stride: 3, pad: 'same' });
  out.push({ b: 2, h: 3, w: 2, c: 3, mult: 2, k: 3, stride: 1, pad: 'same' }); // no column where all 3 taps fit
  // Padding wider than the kernel: BackpropInput's JavaScript path (top/left, then bottom/right).
  out.push({ b: 2, h: 6, w: 7, c: 3, mult: 1, k: 3, stride: 1, pad: [[0, 0], [3, 1], [0, 4], [0, 0]] });
  out.push({ b: 3, h: 5, w: 7, c: 2, mult: 2, k: 3, stride: 2, pad: [[0, 0], [1, 4], [4, 0], [0, 0]] });
  // MobileNet-like: many channels, the channel loop dominates.
  out.push({ b: 2, h: 8, w: 8, c: 64, mult: 1, k: 3, stride: 2, pad: 'same' });
  out.push({ b: 2, h: 7, w: 7, c: 32, mult: 1, k: 3, stride: 1, pad: 'same' });
  return out;
}

function outSize(c: Case): [number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.b, c.h, c.w, c.c], [c.k, c.k, c.c, c.mult], c.stride, 1, c.pad, c.rounding, true, 'channelsLast');
  return [info.outHeight, info.outWidth];
}

/** Runs one kernel on cpu and wasm from the same inputs; asserts no leaks and agreement. */
async function checkKernel(name: string, inputs: Arrays, attrs: Record<string, unknown>, what: string): Promise<number> {
  const run = (t: Record<string, tf.Tensor>) =>
    tf.engine().runKernel(name, t as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const ref = await runOn('cpu', inputs, run);
  const got = await runOn('wasm', inputs, run);
  assert.equal(got.leakedTensors, 0, `${what}: tensors leaked`);
  assert.equal(got.leakedBuffers, 0, `${what}: wasm buffers leaked`);
  assert.equal(got.outputs[0].length, ref.outputs[0].length, `${what}: output size`);
  const err = scaledError(got.outputs[0], ref.outputs[0]);
  assert.ok(err <= TOL.kernelRelative, `${what}: relative error ${err.toExponential(2)}`);
  return err;
}

/** A MobileNet v1-style model (scripts/step-timing.ts's builder) at small width: 4 blocks, strides 1 and 2. */
function smallMobileNet(size: number): tfjs.Sequential {
  return buildMobileNet(8, size, { stem: 8, blocks: [[16, 1], [24, 2], [24, 1], [32, 2]] });
}

const SIZE = 32;
const BATCH = 3;

/**
 * Loss and the gradient of every trainable weight of the small MobileNet in training mode (batch
 * statistics), on one backend, from seeded weights and inputs. Also counts the tensors and wasm
 * buffers a second gradient computation leaves behind.
 */
async function mobileNetGradients(backend: 'cpu' | 'wasm'): Promise<{ loss: number; grads: Float32Array[]; names: string[]; leakedTensors: number; leakedBuffers: number }> {
  await tf.setBackend(backend);
  const model = smallMobileNet(SIZE);
  const rng = new Rng(17);
  // Seeded weights (the layers' initialisers are not): kernels scaled by fan-in so activations
  // spread over ReLU6's range, BN gamma near 1, beta near 0.
  model.setWeights(model.weights.map((w) => {
    const shape = w.shape as number[];
    const name = w.originalName;
    const n = shape.reduce((p, q) => p * q, 1);
    const values = new Float32Array(n);
    if (/moving_variance/.test(name)) values.fill(1);
    else if (/moving_mean/.test(name)) values.fill(0);
    else if (/gamma/.test(name)) for (let k = 0; k < n; k++) values[k] = 1 + 0.2 * rng.normal();
    else if (/beta/.test(name)) for (let k = 0; k < n; k++) values[k] = 0.5 + 0.2 * rng.normal();
    else {
      const fanIn = shape.length === 4 ? shape[0] * shape[1] * (name.includes('depthwise') ? 1 : shape[2]) : shape[0];
      const scale = shape.length === 1 ? 0.1 : 1.5 / Math.sqrt(fanIn);
      for (let k = 0; k < n; k++) values[k] = scale * rng.normal();
    }
    return tf.tensor(values, shape);
  }));
  const x = tf.tensor4d(randomArray(rng, [BATCH, SIZE, SIZE, 3]).values, [BATCH, SIZE, SIZE, 3]);
  const target = tf.tensor2d(randomArray(rng, [BATCH, 8]).values, [BATCH, 8]);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const lossFn = () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, target)) as tf.Scalar;
  const compute = () => {
    const { value, grads } = tf.variableGrads(lossFn, variables);
    const out = { loss: value.dataSync()[0], grads: variables.map((v) => Float32Array.from(grads[v.name].dataSync())) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const first = compute();
  // A second pass (BN's moving statistics were updated, which changes neither loss nor gradients)
  // must leave nothing behind.
  const tensors = tf.memory().numTensors;
  const buffers = backendBuffers();
  compute();
  const leakedTensors = tf.memory().numTensors - tensors;
  const leakedBuffers = backendBuffers() - buffers;
  const names = model.trainableWeights.map((w) => w.originalName);
  tf.dispose([x, target]);
  model.dispose();
  return { ...first, names, leakedTensors, leakedBuffers };
}

describe(`depthwise conv gradient kernels on wasm vs cpu (${testThreads()} thread(s))`, () => {
  test('both kernels are registered on wasm', () => {
    assert.ok(registeredWasmKernels().includes('DepthwiseConv2dNativeBackpropFilter'));
    assert.ok(registeredWasmKernels().includes('DepthwiseConv2dNativeBackpropInput'));
  });

  test('DepthwiseConv2dNativeBackpropFilter', async () => {
    const rng = new Rng(101);
    for (const c of cases(1)) {
      const [ho, wo] = outSize(c);
      assert.ok(ho >= 1 && wo >= 1, label(c));
      const inputs = { x: randomArray(rng, [c.b, c.h, c.w, c.c]), dy: randomArray(rng, [c.b, ho, wo, c.c * c.mult]) };
      await checkKernel('DepthwiseConv2dNativeBackpropFilter', inputs, {
        strides: c.stride, pad: c.pad, dimRoundingMode: c.rounding, dilations: [1, 1], filterShape: [c.k, c.k, c.c, c.mult],
      }, label(c));
    }
  });

  test('DepthwiseConv2dNativeBackpropInput', async () => {
    const rng = new Rng(102);
    for (const c of cases(2)) {
      const [ho, wo] = outSize(c);
      assert.ok(ho >= 1 && wo >= 1, label(c));
      const inputs = { dy: randomArray(rng, [c.b, ho, wo, c.c * c.mult]), filter: randomArray(rng, [c.k, c.k, c.c, c.mult]) };
      await checkKernel('DepthwiseConv2dNativeBackpropInput', inputs, {
        strides: c.stride, pad: c.pad, dimRoundingMode: c.rounding, dilations: [1, 1], inputShape: [c.b, c.h, c.w, c.c],
      }, label(c));
    }
  });

  test('tf.depthwiseConv2d gradients (both kernels through the op and its gradient) match cpu', async () => {
    const rng = new Rng(103);
    const inputs = { x: randomArray(rng, [3, 9, 11, 5]), f: randomArray(rng, [3, 3, 5, 2]), w: randomArray(rng, [3, 5, 6, 10]) };
    const run = (t: Record<string, tf.Tensor>) => tf.grads((x: tf.Tensor, f: tf.Tensor) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), t.w)))([t.x, t.f]);
    const ref = await runOn('cpu', inputs, run);
    const got = await runOn('wasm', inputs, run);
    assert.equal(got.leakedTensors, 0);
    assert.equal(got.leakedBuffers, 0);
    ref.outputs.forEach((r, i) => {
      const err = scaledError(got.outputs[i], r);
      assert.ok(err <= TOL.kernelRelative, `gradient ${i === 0 ? 'x' : 'filter'}: relative error ${err.toExponential(2)}`);
    });
  });

  test('dilations other than 1 are refused with an error naming the kernel', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 7, 7, 2]);
    const dy = tf.zeros([1, 7, 7, 2]);
    const filter = tf.zeros([3, 3, 2, 1]);
    try {
      assert.throws(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
        { strides: 1, pad: 'same', dilations: [2, 2], filterShape: [3, 3, 2, 1] } as unknown as tf.NamedAttrMap),
      /DepthwiseConv2dNativeBackpropFilter.*dilations/);
      assert.throws(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter },
        { strides: 1, pad: 'same', dilations: 2, inputShape: [1, 7, 7, 2] } as unknown as tf.NamedAttrMap),
      /DepthwiseConv2dNativeBackpropInput.*dilations/);
    } finally {
      tf.dispose([x, dy, filter]);
    }
  });

  test('a small MobileNet v1-style model in training mode: every trainable weight\'s gradient matches cpu', async () => {
    const ref = await mobileNetGradients('cpu');
    const got = await mobileNetGradients('wasm');
    assert.equal(got.leakedTensors, 0, 'tensors leaked by a gradient pass on wasm');
    assert.equal(got.leakedBuffers, 0, 'wasm buffers leaked by a gradient pass');
    // Layer names carry a process-wide counter: compare them without it.
    const kinds = (names: string[]) => names.map((n) => n.replace(/\d+/g, ''));
    assert.deepEqual(kinds(got.names), kinds(ref.names));
    // conv + 4 x (depthwise, 1x1 conv) kernels, 9 BN layers x (gamma, beta), dense kernel and bias.
    assert.equal(ref.grads.length, 1 + 8 + 18 + 2);
    assert.ok(ref.names.some((n) => n.includes('depthwise')), `no depthwise weights among ${ref.names.join(', ')}`);
    const lossError = Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss));
    assert.ok(lossError <= TOL.kernelRelative, `loss: relative error ${lossError.toExponential(2)}`);
    ref.grads.forEach((g, i) => {
      assert.ok(g.some((v) => v !== 0), `gradient of ${ref.names[i]} is all zero on cpu: the check would be vacuous`);
      const err = scaledError(got.grads[i], g);
      assert.ok(err <= TOL.kernelRelative, `gradient of ${ref.names[i]}: relative error ${err.toExponential(2)}`);
    });
  });
});
