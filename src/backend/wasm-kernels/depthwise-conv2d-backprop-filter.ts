/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, which ships without it (so no MobileNet-class
 * model can train there). With M the channel multiplier and dy's channel d = c * M + m:
 *   dW[i, j, c, m] = sum over (b, oh, ow) of x[b, oh*sh + i - top, ow*sw + j - left, c] * dy[b, oh, ow, d]
 * computed in JavaScript over the wasm heap, NHWC: for each output pixel and each filter tap
 * inside x, one loop over the contiguous channels of x and dy. The filter-sized accumulator is
 * float64 (a sum over batch x output grid terms), written to a float32 output at the end.
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
  for (let n = 0; n < b; n++) {
    for (let oh = 0; oh < ho; oh++) {
      const y0 = oh * sh - top;
      // Filter rows i with 0 <= y0 + i < h.
      const i0 = Math.max(0, -y0);
      const i1 = Math.min(kh, h - y0);
      for (let ow = 0; ow < wo; ow++) {
        const x0 = ow * sw - left;
        const j0 = Math.max(0, -x0);
        const j1 = Math.min(kw, w - x0);
        const dyAt = ((n * ho + oh) * wo + ow) * co;
        for (let i = i0; i < i1; i++) {
          const xRow = (n * h + y0 + i) * w;
          for (let j = j0; j < j1; j++) {
            const xAt = (xRow + x0 + j) * ci;
            const wAt = (i * kw + j) * co;
            if (mult === 1) {
              for (let c = 0; c < ci; c++) acc[wAt + c] += xs[xAt + c] * dys[dyAt + c];
            } else {
              for (let c = 0, d = 0; c < ci; c++) {
                const xv = xs[xAt + c];
                for (let m = 0; m < mult; m++, d++) acc[wAt + d] += xv * dys[dyAt + d];
              }
            }
          }
        }
      }
    }
  }
  const out = backend.makeOutput([kh, kw, ci, mult], 'float32');
  heapF32(backend, out).set(acc);
  return out;
}
