/**
 * UnsortedSegmentSum for wasm, which ships without it: the gradient of tf.gather needs it.
 * out[s, ...] = sum of x[i, ...] over i with segmentIds[i] = s; ids outside [0, numSegments)
 * contribute nothing, as on the cpu backend. JavaScript on the heap, float64 accumulation.
 */
import { tf } from '../tf.js';
import { heapF32, heapI32, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

export function unsortedSegmentSumWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(`UnsortedSegmentSum on wasm wants 1-D segmentIds of length x.shape[0]; got ` +
      `[${segmentIds.shape}] for x of shape [${x.shape}]`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, not ${x.dtype}`);
  }
  const rows = x.shape[0];
  const inner = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const src = x.dtype === 'float32' ? heapF32(backend, x) : heapI32(backend, x);
  const ids = heapI32(backend, segmentIds);
  const dst = x.dtype === 'float32' ? heapF32(backend, out) : heapI32(backend, out);
  const acc = new Float64Array(numSegments * inner);
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let k = 0; k < inner; k++) acc[to + k] += src[from + k];
  }
  dst.set(acc);
  return out;
}
