/**
 * Each kernel src/backend/wasm-kernels replaces, stock against ours, on the shapes of one training
 * step of the reference embedder (batch --batch, default 64), and the depthwise gradients at two
 * MobileNet v1 layers (batch --mobilenet-batch, default 32): median ms of --reps calls, on the
 * wall clock or (--clock cpu) the process's CPU time. "-" where wasm has no stock kernel.
 * --only keeps the kernels whose name contains one of its comma-separated parts.
 *
 *   node --import tsx scripts/bench-kernels.ts [--threads 1] [--batch 64] [--mobilenet-batch 32] [--reps 7] [--clock wall|cpu] [--only Depthwise]
 */
import { loadavg } from 'node:os';
import { initBackend, shutdownBackend } from '../src/backend/init-backend.js';
import { tf } from '../src/backend/tf.js';
import { registerWasmKernels, unregisterWasmKernels, type WasmKernelName } from '../src/backend/wasm-kernels/register.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const cpuClock = flag('clock', 'wall') === 'cpu';
const now = (): number => {
  if (!cpuClock) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Case {
  kernel: WasmKernelName;
  label: string;
  inputs: () => tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(c: Case, inputs: tf.NamedTensorMap, reps: number): number {
  const run = () => {
    // wasm kernels run synchronously: no read-back needed (it would add a copy of the output).
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs) as tf.Tensor;
    out.dispose();
  };
  run();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    run();
    ts.push(now() - t0);
  }
  return median(ts);
}

async function main(): Promise<void> {
  const threads = Number(flag('threads', '1'));
  const b = Number(flag('batch', '64'));
  const reps = Number(flag('reps', '7'));
  const info = await initBackend({ backend: 'wasm', threads });
  const layers: [number, number, number, number, number][] = [[b, 28, 56, 1, 32], [b, 14, 28, 32, 64], [b, 7, 14, 64, 128]];
  const cases: Case[] = [];
  for (const [n, h, w, ci, co] of layers) {
    const shape = `[${n},${h},${w},${ci}]->${co}`;
    cases.push({
      kernel: 'Conv2DBackpropFilter', label: shape,
      inputs: () => ({ x: tf.randomNormal([n, h, w, ci]), dy: tf.randomNormal([n, h, w, co]) }),
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] } as unknown as tf.NamedAttrMap,
    });
    if (ci > 1) {
      cases.push({
        kernel: 'Conv2DBackpropInput', label: shape,
        inputs: () => ({ dy: tf.randomNormal([n, h, w, co]), filter: tf.randomNormal([3, 3, ci, co]) }),
        attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [n, h, w, ci] } as unknown as tf.NamedAttrMap,
      });
    }
    if (h > 7) {
      cases.push({
        kernel: 'MaxPoolGrad', label: `[${n},${h},${w},${co}] 2x2/2`,
        inputs: () => {
          const input = tf.randomNormal([n, h, w, co]) as tf.Tensor4D;
          const output = tf.maxPool(input, 2, 2, 'valid');
          return { dy: tf.randomNormal(output.shape), input, output };
        },
        attrs: { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap,
      });
    }
    cases.push({
      kernel: 'Sum', label: `[${n},${h},${w},${co}] axes 0,1,2`,
      inputs: () => ({ x: tf.randomNormal([n, h, w, co]) }), attrs: { axis: [0, 1, 2], keepDims: false },
    });
    cases.push({
      kernel: 'Identity', label: `[${n},${h},${w},${co}]`,
      inputs: () => ({ x: tf.randomNormal([n, h, w, co]) }), attrs: {},
    });
  }
  // XBM: a batch against an 8192-slot memory, and the two products of its gradient.
  cases.push({
    kernel: 'BatchMatMul', label: '[64,64] x [8192,64]^T',
    inputs: () => ({ a: tf.randomNormal([1, 64, 64]), b: tf.randomNormal([1, 8192, 64]) }),
    attrs: { transposeA: false, transposeB: true },
  });
  cases.push({
    kernel: 'BatchMatMul', label: '[64,8192]^T x [64,64]',
    inputs: () => ({ a: tf.randomNormal([1, 64, 8192]), b: tf.randomNormal([1, 64, 64]) }),
    attrs: { transposeA: true, transposeB: false },
  });
  cases.push({
    kernel: 'UnsortedSegmentSum', label: '[8192,64] -> 1024 segments',
    inputs: () => ({ x: tf.randomNormal([8192, 64]), segmentIds: tf.randomUniform([8192], 0, 1024, 'int32') }),
    attrs: { numSegments: 1024 },
  });

  // MobileNet v1 (224 x 224): depthwise 3x3 over 112x112x64 at stride 1 and over 56x56x128 at stride 2.
  const mb = Number(flag('mobilenet-batch', '32'));
  for (const [h, c, stride] of [[112, 64, 1], [56, 128, 2]]) {
    const ho = Math.ceil(h / stride);
    const label = `[${mb},${h},${h},${c}] 3x3/${stride} same`;
    const attrs = { strides: stride, pad: 'same', dilations: 1 };
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropFilter', label,
      inputs: () => ({ x: tf.randomNormal([mb, h, h, c]), dy: tf.randomNormal([mb, ho, ho, c]) }),
      attrs: { ...attrs, filterShape: [3, 3, c, 1] } as unknown as tf.NamedAttrMap,
    });
    cases.push({
      kernel: 'DepthwiseConv2dNativeBackpropInput', label,
      inputs: () => ({ dy: tf.randomNormal([mb, ho, ho, c]), filter: tf.randomNormal([3, 3, c, 1]) }),
      attrs: { ...attrs, inputShape: [mb, h, h, c] } as unknown as tf.NamedAttrMap,
    });
  }
  const only = flag('only', '').split(',').filter((part) => part !== '');
  const selected = only.length === 0 ? cases : cases.filter((c) => only.some((part) => c.kernel.includes(part)));

  console.log(`wasm, ${info.threads} thread(s), ${cpuClock ? 'CPU' : 'wall'} ms, median of ${reps}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const kw = Math.max(22, ...selected.map((c) => c.kernel.length));
  const lw = Math.max(28, ...selected.map((c) => c.label.length));
  console.log(`${'kernel'.padEnd(kw)} ${'shape'.padEnd(lw)} ${'stock'.padStart(8)} ${'ours'.padStart(8)} ${'speed-up'.padStart(9)}`);
  for (const c of selected) {
    const inputs = c.inputs();
    unregisterWasmKernels([c.kernel]);
    const stock = tf.getKernel(c.kernel, 'wasm') === undefined ? null : time(c, inputs, reps);
    registerWasmKernels([c.kernel]);
    const ours = time(c, inputs, reps);
    const stockText = stock === null ? '-' : stock.toFixed(1);
    const speedUp = stock === null ? '' : `${(stock / ours).toFixed(1)}x`;
    console.log(`${c.kernel.padEnd(kw)} ${c.label.padEnd(lw)} ${stockText.padStart(8)} ${ours.toFixed(1).padStart(8)} ${speedUp.padStart(9)}`);
    tf.dispose(Object.values(inputs));
  }
  await shutdownBackend();
}

await main();
