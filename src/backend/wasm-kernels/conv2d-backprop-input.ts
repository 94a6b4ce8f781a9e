/**
 * Conv2DBackpropInput for wasm. The stock kernel is a scalar loop outside XNNPACK (about two
 * thirds of a training step). dx is a forward convolution of dy (zero-stuffed between rows and
 * columns when the stride is > 1) with the filter reversed in both spatial dimensions and its
 * in/out channels swapped, padded by k - 1 - pad: that runs on XNNPACK. Shapes this cannot
 * express (padding wider than the kernel, NCHW) use the stock kernel.
 */
import { tf } from '../tf.js';
import { free, pair, runStock, transposeInfo, zeroStuff, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

export function conv2dBackpropInputWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (attrs.dataFormat === 'NCHW') return runStock('Conv2DBackpropInput', backend, args.inputs, args.attrs);
  const [kh, kw] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const [sh, sw] = pair(attrs.strides);
  const [, h, w] = attrs.inputShape;
  const [b, ho, wo, co] = dy.shape;
  const hd = (ho - 1) * sh + 1;
  const wd = (wo - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = h + kh - 1 - hd - top;
  const right = w + kw - 1 - wd - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    return runStock('Conv2DBackpropInput', backend, args.inputs, args.attrs);
  }
  const reversed = runStock('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const flipped = transposeInfo(backend, reversed, [0, 1, 3, 2]); // [kh, kw, co, ci]
  free(backend, reversed);
  const src = sh === 1 && sw === 1 ? dy : zeroStuff(backend, dy, [b, hd, wd, co], sh, sw);
  const dx = runStock('Conv2D', backend, { x: src, filter: flipped }, {
    strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap);
  free(backend, flipped);
  if (src !== dy) free(backend, src);
  return dx;
}

