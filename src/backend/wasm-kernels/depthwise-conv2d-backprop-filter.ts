/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, which ships without it (so no MobileNet-class
 * model can train there). With M the channel multiplier and dy's channel d = c * M + m:
 *   dW[i, j, c, m] = sum over (b, oh, ow) of x[b, oh*sh + i - top, ow*sw + j - left, c] * dy[b, oh, ow, d]
 * computed in JavaScript over the wasm heap, NHWC: for each row of output pixels, filter row and
 * channel, a walk along the row summing in registers (the three taps of a 3-wide filter at once,
 * so dy is read once for three products; about 2.5x a per-pixel loop over channels), added to a
 * float64 filter-sized accumulator (the sum runs over batch x output grid terms), written to a
 * float32 output at the end.
 */
import { tf } from '../tf.js';
import { heapF32, pair, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

export function depthwiseConv2dBackpropFilterWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const dataFormat = (attrs as unknown as { dataFormat?: string }).dataFormat;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`${NAME} on wasm supports NHWC only, got ${dataFormat}`);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  if (dh !== 1 || dw !== 1) throw new Error(`${NAME} on wasm supports dilations 1 only, got [${dh}, ${dw}]`);
  if (x.shape.length !== 4 || dy.shape.length !== 4) throw new Error(`${NAME} on wasm needs rank-4 x and dy, got [${x.shape}] and [${dy.shape}]`);
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`${NAME} on wasm supports float32 only`);
  const filterShape = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, true, 'channelsLast');
  const [kh, kw, ci, mult] = filterShape;
  const [b, h, w, xc] = x.shape;
  const [, ho, wo, co] = dy.shape;
  if (xc !== ci || co !== ci * mult || ho !== info.outHeight || wo !== info.outWidth || dy.shape[0] !== b) {
    throw new Error(`${NAME}: x [${x.shape}], dy [${dy.shape}] and filterShape [${filterShape}] disagree`);
  }
  const { strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const acc = new Float64Array(kh * kw * co);
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  // Output columns ow whose tap j reads a column inside x: lo[j] <= ow < hi[j].
  const lo = new Int32Array(kw);
  const hi = new Int32Array(kw);
  for (let j = 0; j < kw; j++) {
    lo[j] = Math.min(wo, Math.max(0, Math.ceil((left - j) / sw)));
    hi[j] = Math.max(lo[j], Math.min(wo, Math.floor((w - 1 + left - j) / sw) + 1));
  }
  // Where all three taps of a 3-wide filter are inside x.
  const lo3 = kw === 3 ? Math.max(lo[0], lo[1], lo[2]) : 0;
  const hi3 = kw === 3 ? Math.min(hi[0], hi[1], hi[2]) : 0;
  const g: Row = { ci, co, mult, sw };
  for (let n = 0; n < b; n++) {
    for (let oh = 0; oh < ho; oh++) {
      const y0 = oh * sh - top;
      // Filter rows i with 0 <= y0 + i < h.
      const i0 = Math.max(0, -y0);
      const i1 = Math.min(kh, h - y0);
      const dyRow = (n * ho + oh) * wo * co;
      for (let i = i0; i < i1; i++) {
        const xRow = (n * h + y0 + i) * w * ci;
        const wRow = i * kw * co;
        if (lo3 < hi3) {
          threeTaps(xs, dys, acc, g, xRow - left * ci, dyRow, wRow, lo3, hi3);
          for (let j = 0; j < 3; j++) {
            oneTap(xs, dys, acc, g, xRow + (j - left) * ci, dyRow, wRow + j * co, lo[j], lo3);
            oneTap(xs, dys, acc, g, xRow + (j - left) * ci, dyRow, wRow + j * co, hi3, hi[j]);
          }
        } else {
          for (let j = 0; j < kw; j++) oneTap(xs, dys, acc, g, xRow + (j - left) * ci, dyRow, wRow + j * co, lo[j], hi[j]);
        }
      }
    }
  }
  const out = backend.makeOutput([kh, kw, ci, mult], 'float32');
  heapF32(backend, out).set(acc);
  return out;
}

interface Row { ci: number; co: number; mult: number; sw: number }

/**
 * acc[wAt + d] += sum over ow in [owLo, owHi) of x[xAt + ow*sw*ci + c] * dy[dyAt + ow*co + d], for
 * every dy channel d of input channel c: one filter tap over one row of output pixels, summed in
 * a register per channel (x and dy are read once each, strided by the channel count).
 */
function oneTap(
  xs: Float32Array, dys: Float32Array, acc: Float64Array, g: Row,
  xAt: number, dyAt: number, wAt: number, owLo: number, owHi: number,
): void {
  if (owLo >= owHi) return;
  const { ci, co, mult, sw } = g;
  const xStep = sw * ci;
  for (let d = 0; d < co; d++) {
    const c = mult === 1 ? d : (d / mult) | 0;
    let xa = xAt + owLo * xStep + c;
    let da = dyAt + owLo * co + d;
    let s = 0;
    for (let ow = owLo; ow < owHi; ow++, xa += xStep, da += co) s += xs[xa] * dys[da];
    acc[wAt + d] += s;
  }
}

/** oneTap for the three taps of a 3-wide filter row at once, where all three are inside x: dy is read once for three products. */
function threeTaps(
  xs: Float32Array, dys: Float32Array, acc: Float64Array, g: Row,
  xAt: number, dyAt: number, wAt: number, owLo: number, owHi: number,
): void {
  const { ci, co, mult, sw } = g;
  const xStep = sw * ci;
  const ci2 = 2 * ci;
  const co2 = 2 * co;
  for (let d = 0; d < co; d++) {
    const c = mult === 1 ? d : (d / mult) | 0;
    let xa = xAt + owLo * xStep + c;
    let da = dyAt + owLo * co + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let ow = owLo; ow < owHi; ow++, xa += xStep, da += co) {
      const v = dys[da];
      s0 += xs[xa] * v;
      s1 += xs[xa + ci] * v;
      s2 += xs[xa + ci2] * v;
    }
    acc[wAt + d] += s0;
    acc[wAt + co + d] += s1;
    acc[wAt + co2 + d] += s2;
  }
}
