/**
 * The wasm kernels this project adds or replaces, and why (CPU ms per call at the shapes of the
 * reference embedder at batch 64, 1 thread, stock -> ours; scripts/bench-kernels.ts):
 * - Conv2DBackpropFilter: missing in tfjs-backend-wasm 4.22.0, so no conv net can train there.
 *   Ours: im2col + one XNNPACK matMul (6 / 75 / 58 ms for the three layers with inputs reused;
 *   with a new dy at every call, as in a step, XNNPACK repacks it: about 17 / 47 / 35 ms on 2
 *   threads, docs/benchmarks.md "The wasm filter gradient").
 * - Conv2DBackpropInput: the stock kernel is a scalar loop, two thirds of a step (589 -> 54 ms).
 * - MaxPoolGrad: stock scalar loop (135 -> 28 ms for the first pool).
 * - Sum: the stock kernel transposes a whole activation for every bias gradient (30 -> 5 ms).
 * - UnsortedSegmentSum: missing; the gradient of tf.gather needs it.
 * - Identity, Cast to the same dtype: the stock kernels copy, and the engine clones every tensor
 *   it saves for the backward pass (2.3 -> 0 ms each). Cast to bool is fixed on the way (the stock
 *   kernel truncates floats to a byte: -2 becomes 254).
 * - BatchMatMul, _FusedMatMul with transposed operands: the stock kernels leave XNNPACK for a
 *   scalar loop, and matMul's gradient uses transposed products (XBM's memory product 54 -> 16 ms,
 *   its gradient 66 -> 6 ms). Batched _FusedMatMul with a bias is fixed too (stock misplaces it).
 * - DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput: missing, so no
 *   MobileNet-class model (depthwise convolutions) can train there. CPU ms per call at MobileNet v1
 *   layers at batch 32, 3x3 'same' (measured under load, load average 4.4 on 2 cores):
 *   [32,112,112,64] stride 1: filter 472, input 72; [32,56,56,128] stride 2: filter 80, input 41.
 *   Filter: a JavaScript loop (rows of output pixels per channel, three taps at once). Input: a
 *   stride-1 depthwise conv on XNNPACK of zero-stuffed dy with the reversed filter (a JavaScript
 *   loop, 1175 ms at the first shape, only for padding wider than the kernel).
 * - Tile: the stock kernel walks the output element by element; BatchNorm's gradient in training
 *   mode tiles every per-channel statistic to a whole activation: 6.8 s -> 0.5 s per MobileNet v1
 *   step at 128 x 128, batch 32 (2 threads, under load). Ours: block copies (tile.ts).
 * Stock configs are kept so a replacement can fall back to them and so they can be restored.
 */
import { tf } from '../tf.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input.js';
import { depthwiseConv2dBackpropFilterWasm } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropInputWasm } from './depthwise-conv2d-backprop-input.js';
import { forgetStockKernel, rememberStockKernel } from './kernel-utils.js';
import { batchMatMulWasm, fusedMatMulWasm } from './mat-mul.js';
import { maxPoolGradWasm } from './max-pool-grad.js';
import { castWasm, identityWasm } from './share-identity.js';
import { sumWasm } from './sum.js';
import { tileWasm } from './tile.js';
import { unsortedSegmentSumWasm } from './unsorted-segment-sum.js';

export const WASM_KERNEL_NAMES = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Sum',
  'UnsortedSegmentSum',
  'Identity',
  'Cast',
  'BatchMatMul',
  '_FusedMatMul',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Tile',
] as const;
export type WasmKernelName = (typeof WASM_KERNEL_NAMES)[number];

const kernelFuncs: Record<WasmKernelName, tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  Conv2DBackpropInput: conv2dBackpropInputWasm as unknown as tf.KernelFunc,
  MaxPoolGrad: maxPoolGradWasm as unknown as tf.KernelFunc,
  Sum: sumWasm as unknown as tf.KernelFunc,
  UnsortedSegmentSum: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
  Identity: identityWasm as unknown as tf.KernelFunc,
  Cast: castWasm as unknown as tf.KernelFunc,
  BatchMatMul: batchMatMulWasm as unknown as tf.KernelFunc,
  _FusedMatMul: fusedMatMulWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropInput: depthwiseConv2dBackpropInputWasm as unknown as tf.KernelFunc,
  Tile: tileWasm as unknown as tf.KernelFunc,
};

const installed = new Set<WasmKernelName>();

/**
 * Registers this project's wasm kernels (all by default) for backend 'wasm', replacing stock ones.
 * Idempotent. Call it after the wasm backend is initialised: the stock kernels it falls back on
 * are set up at initialisation, which skips kernels that are not registered then.
 */
export function registerWasmKernels(names: readonly WasmKernelName[] = WASM_KERNEL_NAMES): WasmKernelName[] {
  if (tf.engine().registry.wasm === undefined) throw new Error('registerWasmKernels: initialise the wasm backend first');
  for (const name of names) {
    if (installed.has(name)) continue;
    if (rememberStockKernel(name) !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFuncs[name] });
    installed.add(name);
  }
  return [...installed];
}

/** Puts the stock kernels back (and removes the ones wasm lacks); for comparisons and tests. */
export function unregisterWasmKernels(names: readonly WasmKernelName[] = WASM_KERNEL_NAMES): void {
  for (const name of names) {
    if (!installed.has(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    const stock = forgetStockKernel(name);
    if (stock !== undefined) tf.registerKernel(stock);
    installed.delete(name);
  }
}

export function registeredWasmKernels(): WasmKernelName[] {
  return [...installed];
}
