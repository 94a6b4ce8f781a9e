/**
 * DepthwiseConv2dNativeBackpropInput for wasm, which ships without it (so no MobileNet-class
 * model can train there). With M the channel multiplier and dy's channel d = c * M + m:
 *   dx[b, y, x, c] = sum over (i, j, m) with y = oh*sh + i - top, x = ow*sw + j - left of
 *                    dy[b, oh, ow, d] * filter[i, j, c, m]
 * That is a stride-1 depthwise convolution (wasm's, on XNNPACK: about 20x a JavaScript loop) of dy,
 * zero-stuffed between rows and columns when the stride is > 1, with the filter reversed in both
 * spatial dimensions as a [kh, kw, C * M, 1] filter, padded by k - 1 - pad; for M > 1 the M
 * channels of each input channel are then summed. Padding wider than the kernel (which that
 * recipe cannot express) takes a JavaScript loop over the wasm heap, NHWC, gathered per input
 * pixel: for each filter tap that reaches an output pixel, one loop over the contiguous channels
 * of dy and the filter, accumulated in a float64 row of channels.
 */
import { tf } from '../tf.js';
import { free, heapF32, pair, reshapeInfo, runStock, zeroStuff, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

const NAME = 'DepthwiseConv2dNativeBackpropInput';

export function depthwiseConv2dBackpropInputWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const dataFormat = (attrs as unknown as { dataFormat?: string }).dataFormat;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`${NAME} on wasm supports NHWC only, got ${dataFormat}`);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  if (dh !== 1 || dw !== 1) throw new Error(`${NAME} on wasm supports dilations 1 only, got [${dh}, ${dw}]`);
  if (dy.shape.length !== 4 || filter.shape.length !== 4) throw new Error(`${NAME} on wasm needs rank-4 dy and filter, got [${dy.shape}] and [${filter.shape}]`);
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') throw new Error(`${NAME} on wasm supports float32 only`);
  const inputShape = attrs.inputShape;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, true, 'channelsLast');
  const [kh, kw, ci, mult] = filter.shape;
  const [b, h, w, xc] = inputShape;
  const [, ho, wo, co] = dy.shape;
  if (xc !== ci || co !== ci * mult || ho !== info.outHeight || wo !== info.outWidth || dy.shape[0] !== b) {
    throw new Error(`${NAME}: inputShape [${inputShape}], dy [${dy.shape}] and filter [${filter.shape}] disagree`);
  }
  const { strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const hd = (ho - 1) * sh + 1;
  const wd = (wo - 1) * sw + 1;
  const g: Geometry = { b, h, w, ci, mult, kh, kw, ho, wo, sh, sw, top, left };
  const pads = [kh - 1 - top, h + top - hd, kw - 1 - left, w + left - wd]; // top, bottom, left, right
  if (pads.every((p) => p >= 0)) return viaDepthwiseConv(backend, dy, filter, g, pads);
  return gatherLoop(backend, dy, filter, g);
}

interface Geometry {
  b: number; h: number; w: number; ci: number; mult: number; kh: number; kw: number;
  ho: number; wo: number; sh: number; sw: number; top: number; left: number;
}

function viaDepthwiseConv(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, g: Geometry, pads: number[]): TensorInfo {
  const { b, h, w, ci, mult, kh, kw, ho, wo, sh, sw } = g;
  const co = ci * mult;
  const reversed = runStock('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const flipped = reshapeInfo(backend, reversed, [kh, kw, co, 1]);
  free(backend, reversed);
  const src = sh === 1 && sw === 1 ? dy : zeroStuff(backend, dy, [b, (ho - 1) * sh + 1, (wo - 1) * sw + 1, co], sh, sw);
  const [top, bottom, left, right] = pads;
  const full = runStock('DepthwiseConv2dNative', backend, { x: src, filter: flipped }, {
    strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap);
  free(backend, flipped);
  if (src !== dy) free(backend, src);
  if (mult === 1) return full;
  const grouped = reshapeInfo(backend, full, [b, h, w, ci, mult]);
  free(backend, full);
  const dx = runStock('Sum', backend, { x: grouped }, { axis: [4], keepDims: false });
  free(backend, grouped);
  return dx;
}

function gatherLoop(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  const { b, h, w, ci, mult, kh, kw, ho, wo, sh, sw, top, left } = g;
  const co = ci * mult;
  // The filter taps that land on input row y (or column x), with the output row (column) they
  // come from: output row oh reads input row oh*sh + i - top.
  const rowTaps = taps(h, ho, kh, sh, top);
  const colTaps = taps(w, wo, kw, sw, left);

  const out = backend.makeOutput([b, h, w, ci], 'float32');
  const dys = heapF32(backend, dy);
  const fs = heapF32(backend, filter);
  const dx = heapF32(backend, out);
  const acc = new Float64Array(ci);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      const rt = rowTaps[y];
      for (let xi = 0; xi < w; xi++) {
        const ct = colTaps[xi];
        acc.fill(0);
        for (let r = 0; r < rt.length; r += 2) {
          const i = rt[r];
          const dyRow = (n * ho + rt[r + 1]) * wo;
          for (let s = 0; s < ct.length; s += 2) {
            const j = ct[s];
            const dyAt = (dyRow + ct[s + 1]) * co;
            const fAt = (i * kw + j) * co;
            if (mult === 1) {
              for (let c = 0; c < ci; c++) acc[c] += dys[dyAt + c] * fs[fAt + c];
            } else {
              for (let c = 0, d = 0; c < ci; c++) {
                let sum = 0;
                for (let m = 0; m < mult; m++, d++) sum += dys[dyAt + d] * fs[fAt + d];
                acc[c] += sum;
              }
            }
          }
        }
        dx.set(acc, ((n * h + y) * w + xi) * ci);
      }
    }
  }
  return out;
}

/** For each input position p: flat pairs (tap k, output position o) with o*stride + k - pad = p. */
function taps(size: number, outSize: number, k: number, stride: number, pad: number): Int32Array[] {
  const result: Int32Array[] = [];
  for (let p = 0; p < size; p++) {
    const list: number[] = [];
    for (let t = 0; t < k; t++) {
      const q = p + pad - t;
      if (q < 0 || q % stride !== 0) continue;
      const o = q / stride;
      if (o < outSize) list.push(t, o);
    }
    result.push(Int32Array.from(list));
  }
  return result;
}
