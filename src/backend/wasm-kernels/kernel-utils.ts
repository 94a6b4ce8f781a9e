/**
 * Plumbing shared by the wasm kernels of this folder. A kernel here receives the wasm backend and
 * tensor infos (not Tensors); it composes wasm's own kernels by calling their kernel functions
 * directly, so nothing is recorded on the gradient tape and every intermediate is freed here.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

export type WasmBackend = BackendWasm;
export type TensorInfo = tf.TensorInfo;

/** The kernel configs this package replaced, so they can be called as fallbacks and restored. */
const stockKernels = new Map<string, tf.KernelConfig>();

export function rememberStockKernel(kernelName: string): tf.KernelConfig | undefined {
  if (!stockKernels.has(kernelName)) {
    const config = tf.getKernel(kernelName, 'wasm');
    if (config !== undefined) stockKernels.set(kernelName, config);
  }
  return stockKernels.get(kernelName);
}

export function stockKernel(kernelName: string): tf.KernelConfig | undefined {
  return stockKernels.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
}

export function forgetStockKernel(kernelName: string): tf.KernelConfig | undefined {
  const config = stockKernels.get(kernelName);
  stockKernels.delete(kernelName);
  return config;
}

/** Runs a wasm kernel (the stock one if this package replaced it) on tensor infos. */
export function runStock(
  kernelName: string,
  backend: WasmBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  const config = stockKernel(kernelName);
  if (config === undefined) throw new Error(`wasm kernel ${kernelName} is not registered`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${kernelName} returned several outputs`);
  return out as TensorInfo;
}

export function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A fresh view on a tensor's float32 data in the wasm heap (views go stale when the heap grows). */
export function heapF32(backend: WasmBackend, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function heapI32(backend: WasmBackend, info: TensorInfo): Int32Array {
  return backend.typedArrayFromHeap(info) as Int32Array;
}

/** Same data, another shape: a new tensor info sharing the buffer (refcounted by the backend). */
export function reshapeInfo(backend: WasmBackend, info: TensorInfo, shape: number[]): TensorInfo {
  return runStock('Reshape', backend, { x: info }, { shape });
}

export function transposeInfo(backend: WasmBackend, info: TensorInfo, perm: number[]): TensorInfo {
  return runStock('Transpose', backend, { x: info }, { perm });
}

export function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * dy spread onto a grid with stride - 1 zero rows/columns between its rows/columns: the input of
 * a stride-1 convolution that computes a strided convolution's input gradient.
 */
export function zeroStuff(backend: WasmBackend, dy: TensorInfo, shape: number[], sh: number, sw: number): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const [b, ho, wo, c] = dy.shape;
  const [, hd, wd] = shape;
  const src = heapF32(backend, dy);
  const dst = heapF32(backend, out);
  dst.fill(0);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        const from = ((n * ho + y) * wo + x) * c;
        dst.set(src.subarray(from, from + c), ((n * hd + y * sh) * wd + x * sw) * c);
      }
    }
  }
  return out;
}
