/**
 * MaxPoolGrad for wasm. The stock kernel is a slow scalar loop (~95 ms per step of the reference
 * embedder). This one runs in JavaScript on the wasm heap, channels innermost so reads are
 * sequential, and routes each output's gradient to the first maximum of its window in row-major
 * order (strict >, so NaN and all -Infinity windows get none): the cpu backend's rule, ties included.
 */
import { tf } from '../tf.js';
import { heapF32, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

export function maxPoolGradWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views after the allocation: a heap growth would detach earlier ones.
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const out = heapF32(backend, dx);
  out.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * c;
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = Math.max(0, yr * strideHeight - top);
      const r1 = Math.min(inHeight, yr * strideHeight - top + fh);
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = Math.max(0, yc * strideWidth - left);
        const c1 = Math.min(inWidth, yc * strideWidth - left + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const base = xBatch + (r * inWidth + q) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d];
              if (v > best[d]) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const gBase = ((b * outHeight + yr) * outWidth + yc) * c;
        for (let d = 0; d < c; d++) {
          const at = where[d];
          if (at >= 0) out[at] += g[gBase + d];
        }
      }
    }
  }
  return dx;
}
