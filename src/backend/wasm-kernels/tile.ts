/**
 * Tile for wasm. The stock kernel walks the output element by element; BatchNorm's gradient in
 * training mode tiles every per-channel statistic to a whole activation ([1,1,1,C] -> [B,H,W,C]),
 * so on MobileNet at 224 x 224 Tile took more time than every convolution together (6.8 of about
 * 20 s of kernel time at 128 x 128). Here the output is built from block copies: the innermost
 * dimension's row is copied once, then doubled in place (copyWithin) until it holds its
 * repetitions; each outer dimension repeats the block its inner dimensions built the same way.
 * Work: one memmove per output element, in a handful of calls per input row.
 */
import { tf } from '../tf.js';
import { runStock, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

export function tileWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const reps = (args.attrs as unknown as tf.TileAttrs).reps;
  // 4-byte element types only (bool and string keep the stock kernel).
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || reps.length !== x.shape.length) return runStock('Tile', backend, args.inputs, args.attrs);
  const outShape = x.shape.map((n, i) => n * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  tileInto(src, x.shape, reps, dst);
  return out;
}

/** dst = tile(src of `shape`, reps), row-major; exported for the naive-reference test. */
export function tileInto(src: Float32Array | Int32Array, shape: readonly number[], reps: readonly number[], dst: Float32Array | Int32Array): void {
  const rank = shape.length;
  if (dst.length === 0) return;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const inStride = new Array<number>(rank);
  const outStride = new Array<number>(rank);
  inStride[rank - 1] = 1;
  outStride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * shape[d + 1];
    outStride[d] = outStride[d + 1] * shape[d + 1] * reps[d + 1];
  }
  // Writes the tile of the sub-tensor at input offset `at` of dimension d to dst[to...].
  const fill = (d: number, at: number, to: number): void => {
    const n = shape[d];
    if (d === rank - 1) {
      dst.set(src.subarray(at, at + n), to);
    } else {
      for (let i = 0; i < n; i++) fill(d + 1, at + i * inStride[d], to + i * outStride[d]);
    }
    // The block of n entries of this dimension, then its repetitions by doubling.
    const block = n * outStride[d];
    const total = block * reps[d];
    for (let have = block; have < total; have *= 2) dst.copyWithin(to + have, to, to + Math.min(have, total - have));
  };
  fill(0, 0, 0);
}
