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
  const { strideHeight, strideWidth, padInfo: { top, left } } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views after the allocation: a heap growth would detach earlier ones.
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const out = heapF32(backend, dx);
  out.fill(0);
  const tiled = strideHeight === fh && strideWidth === fw && top === 0 && left === 0 &&
    info.outHeight * fh <= info.inHeight && info.outWidth * fw <= info.inWidth;
  if (tiled && fh === 2 && fw === 2) {
    tiled2x2(x, g, out, info);
  } else if (tiled) {
    tiledWindows(x, g, out, info);
  } else {
    anyWindows(x, g, out, info);
  }
  return dx;
}

type PoolInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

/**
 * Windows that tile the input without overlap, padding or overhang (the usual 2x2, stride 2,
 * 'valid' pool): each input element belongs to at most one window, so each gradient is one store.
 */
function tiledWindows(x: Float32Array, g: Float32Array, out: Float32Array, info: PoolInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const rowStride = inWidth * c;
  let gi = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * rowStride;
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        const corner = xBatch + yr * fh * rowStride + yc * fw * c;
        for (let d = 0; d < c; d++, gi++) {
          let best = -Infinity;
          let at = -1;
          for (let r = 0; r < fh; r++) {
            const rowBase = corner + r * rowStride + d;
            for (let q = 0; q < fw; q++) {
              const v = x[rowBase + q * c];
              if (v > best) {
                best = v;
                at = rowBase + q * c;
              }
            }
          }
          if (at >= 0) out[at] = g[gi];
        }
      }
    }
  }
}

/** tiledWindows unrolled for 2x2 windows: twice as fast. */
function tiled2x2(x: Float32Array, g: Float32Array, out: Float32Array, info: PoolInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const rowStride = inWidth * c;
  let gi = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      let corner = (b * inHeight + 2 * yr) * rowStride;
      for (let yc = 0; yc < outWidth; yc++, corner += 2 * c) {
        for (let d = 0; d < c; d++, gi++) {
          const i0 = corner + d;
          const i1 = i0 + c;
          const i2 = i0 + rowStride;
          const i3 = i2 + c;
          let best = -Infinity;
          let at = -1;
          const v0 = x[i0];
          if (v0 > best) { best = v0; at = i0; }
          const v1 = x[i1];
          if (v1 > best) { best = v1; at = i1; }
          const v2 = x[i2];
          if (v2 > best) { best = v2; at = i2; }
          if (x[i3] > best) at = i3;
          if (at >= 0) out[at] = g[gi];
        }
      }
    }
  }
}

/** Any window geometry: gradients of overlapping windows add up. */
function anyWindows(x: Float32Array, g: Float32Array, out: Float32Array, info: PoolInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
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
}
