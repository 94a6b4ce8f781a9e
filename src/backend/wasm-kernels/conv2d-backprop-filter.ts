/**
 * Conv2DBackpropFilter for wasm, which ships without it (so no conv net can train there).
 * dW[i,j,ci,co] = sum_{b,oh,ow} x[b, oh*s+i-pt, ow*s+j-pl, ci] * dy[b,oh,ow,co] is itself a
 * forward convolution: batch <- ci, channels <- b, filter <- dy, dilation <- the stride. That
 * runs on wasm's XNNPACK Conv2D instead of a scalar loop.
 */
import { tf } from '../tf.js';
import { free, pair, runStock, transposeInfo, type TensorInfo, type WasmBackend } from './kernel-utils.js';

export function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs: tf.NamedAttrMap;
}): TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const [kh, kw, , ] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const [sh, sw] = pair(attrs.strides);
  const { top, left } = info.padInfo;
  const [, h, w] = x.shape;
  const [, ho, wo] = dy.shape;
  // Bottom/right padding that makes the dilated "filter" (dy) produce exactly kh x kw outputs;
  // negative means trailing input rows/columns no output reads: slice them off.
  let bottom = kh + (ho - 1) * sh - h - top;
  let right = kw + (wo - 1) * sw - w - left;
  const xT0 = transposeInfo(backend, x, [3, 1, 2, 0]); // [ci, h, w, b]
  let xT = xT0;
  if (bottom < 0 || right < 0) {
    const [ci, , , b] = xT0.shape;
    xT = runStock('Slice', backend, { x: xT0 }, {
      begin: [0, 0, 0, 0], size: [ci, h + Math.min(bottom, 0), w + Math.min(right, 0), b] });
    free(backend, xT0);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const dyT = transposeInfo(backend, dy, [1, 2, 0, 3]); // [ho, wo, b, co]
  const out = runStock('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1], dilations: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap); // [ci, kh, kw, co]
  free(backend, xT, dyT);
  const dW = transposeInfo(backend, out, [1, 2, 0, 3]);
  free(backend, out);
  return dW;
}
