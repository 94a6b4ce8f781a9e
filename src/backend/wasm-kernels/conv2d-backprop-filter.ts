/**
 * Conv2DBackpropFilter for wasm, which ships without it (so no conv net can train there).
 * dW[(i,j,ci), co] = sum over (b,oh,ow) of colT[(i,j,ci), (b,oh,ow)] * dy[(b,oh,ow), co], with
 * colT the transposed im2col matrix of x. colT is built in JavaScript from x transposed to
 * [ci, b, h, w] (for stride 1 and same-size output one shifted block copy per row), and the
 * product is a flag-free matMul, which runs on XNNPACK. The earlier recipe (a dilated forward
 * Conv2D over transposed x and dy) was 1.5-10x slower: XNNPACK handles a 9-row, 100k-deep
 * product badly.
 * Large batches are split to bound colT's size; a split chunk's rows of dy are one contiguous
 * block, copied directly (wasm's stock Slice took ~50 ms for a 50k-element slice).
 * Where the time goes (batch 64, 2 threads): XNNPACK packing dy, its second operand, on every
 * call (single-threaded, ~5-10 ns per element: 15 of the first layer's 17 ms), the product, then
 * filling colT. Cache-sized chunks do not pay (0.7x at the second and third layers: each call
 * has its own set-up), nor does the other orientation (dy^T x col packs the larger operand, or
 * for the first layer needs dy transposed): scripts/bench-filter-grad.ts, docs/benchmarks.md.
 */
import { tf } from '../tf.js';
import { free, heapF32, pair, reshapeInfo, runStock, transposeInfo, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

/**
 * Largest im2col buffer, in float32 elements (64 MB; the reference embedder's at batch 64 is
 * 29 MB); larger batches are split. Mutable so tests can exercise the split and the benchmark
 * can compare chunk sizes (scripts/bench-filter-grad.ts).
 */
export const conv2dBackpropFilterLimits = { maxColElements: 16 * 1024 * 1024 };

interface Geometry {
  kh: number; kw: number; ci: number;
  h: number; w: number; ho: number; wo: number;
  sh: number; sw: number; top: number; left: number;
}

export function conv2dBackpropFilterWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const [kh, kw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const [sh, sw] = pair(attrs.strides);
  const [b, h, w] = x.shape;
  const [, ho, wo] = dy.shape;
  const g: Geometry = { kh, kw, ci, h, w, ho, wo, sh, sw, top: info.padInfo.top, left: info.padInfo.left };
  const rows = kh * kw * ci;
  const perImage = ho * wo;
  const chunk = Math.max(1, Math.min(b, Math.floor(conv2dBackpropFilterLimits.maxColElements / (rows * perImage))));

  // [ci, b, h, w]: each (channel, image) plane contiguous. With one channel this is a reshape.
  const xT = ci === 1 ? reshapeInfo(backend, x, [1, b, h, w]) : transposeInfo(backend, x, [3, 0, 1, 2]);
  const dy2 = reshapeInfo(backend, dy, [b * perImage, co]);
  let dW: TensorInfo | null = null;
  for (let b0 = 0; b0 < b; b0 += chunk) {
    const nb = Math.min(chunk, b - b0);
    const col = backend.makeOutput([rows, nb * perImage], 'float32');
    fillColT(heapF32(backend, xT), heapF32(backend, col), g, b, b0, nb);
    const dyPart = nb === b ? dy2 : copyRows(backend, dy2, b0 * perImage, nb * perImage);
    const part = runStock('BatchMatMul', backend, { a: col, b: dyPart }, { transposeA: false, transposeB: false });
    free(backend, col);
    if (dyPart !== dy2) free(backend, dyPart);
    if (dW === null) {
      dW = part;
    } else {
      const acc = heapF32(backend, dW);
      const add = heapF32(backend, part);
      for (let k = 0; k < acc.length; k++) acc[k] += add[k];
      free(backend, part);
    }
  }
  free(backend, xT, dy2);
  const out = reshapeInfo(backend, dW!, [kh, kw, ci, co]);
  free(backend, dW!);
  return out;
}

/** Rows [from, from + count) of a 2-D tensor, as a new tensor: one contiguous block copy. */
function copyRows(backend: WasmBackend, m: TensorInfo, from: number, count: number): TensorInfo {
  const cols = m.shape[1];
  const out = backend.makeOutput([count, cols], 'float32');
  heapF32(backend, out).set(heapF32(backend, m).subarray(from * cols, (from + count) * cols));
  return out;
}

/**
 * colT[(i,j,c), (n,oh,ow)] = x[b0+n, oh*sh+i-top, ow*sw+j-left, c], zero outside x, read from
 * xT = [c, b, h, w].
 */
function fillColT(src: Float32Array, dst: Float32Array, g: Geometry, b: number, b0: number, nb: number): void {
  const { kh, kw, ci, h, w, ho, wo, sh, sw, top, left } = g;
  const ncol = nb * ho * wo;
  const sameGrid = sh === 1 && sw === 1 && ho === h && wo === w;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < ci; c++) {
        const row = ((i * kw + j) * ci + c) * ncol;
        const plane = (c * b + b0) * h * w;
        if (sameGrid) shiftedCopy(src, dst, plane, row, nb, h, w, i - top, j - left);
        else gatherRows(src, dst, plane, row, nb, g, i, j);
      }
    }
  }
}

/** Output grid = input grid: one block copy shifted by (di, dj), then zero what wrapped around. */
function shiftedCopy(
  src: Float32Array, dst: Float32Array, plane: number, row: number,
  nb: number, h: number, w: number, di: number, dj: number,
): void {
  const n = nb * h * w;
  const d = di * w + dj;
  const p0 = Math.max(0, -d);
  const p1 = Math.min(n, n - d);
  dst.set(src.subarray(plane + p0 + d, plane + p1 + d), row + p0);
  if (p0 > 0) dst.fill(0, row, row + p0);
  if (p1 < n) dst.fill(0, row + p1, row + n);
  if (dj !== 0) {
    // A column or two per image row: plain stores, far cheaper than a fill() call each.
    const from = dj > 0 ? w - dj : 0;
    const count = Math.abs(dj);
    for (let at = row + from, end = row + n; at < end; at += w) {
      for (let k = 0; k < count; k++) dst[at + k] = 0;
    }
  }
  if (di !== 0) {
    const from = di > 0 ? h - di : 0;
    const count = Math.abs(di) * w;
    for (let k = 0; k < nb; k++) {
      const at = row + (k * h + from) * w;
      dst.fill(0, at, at + count);
    }
  }
}

function gatherRows(
  src: Float32Array, dst: Float32Array, plane: number, row: number, nb: number, g: Geometry, i: number, j: number,
): void {
  const { h, w, ho, wo, sh, sw, top, left } = g;
  // Output columns whose input column ow*sw + j - left lies inside [0, w).
  const lo = Math.min(wo, Math.max(0, Math.ceil((left - j) / sw)));
  const hi = Math.max(lo, Math.min(wo, Math.floor((w - 1 + left - j) / sw) + 1));
  let d = row;
  for (let k = 0; k < nb; k++) {
    const image = plane + k * h * w;
    for (let oh = 0; oh < ho; oh++, d += wo) {
      const y = oh * sh + i - top;
      if (y < 0 || y >= h) {
        dst.fill(0, d, d + wo);
        continue;
      }
      const s = image + y * w + j - left;
      for (let ow = 0; ow < lo; ow++) dst[d + ow] = 0;
      if (sw === 1) for (let ow = lo; ow < hi; ow++) dst[d + ow] = src[s + ow];
      else for (let ow = lo; ow < hi; ow++) dst[d + ow] = src[s + ow * sw];
      for (let ow = hi; ow < wo; ow++) dst[d + ow] = 0;
    }
  }
}
