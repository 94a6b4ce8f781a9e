/**
 * Identity, and Cast to the same dtype, for wasm without a copy. The engine clones every tensor
 * it saves for the backward pass through Identity, and the stock wasm kernel copies it: ~9 ms per
 * step for the first activation of the reference embedder alone. Kernels never write into their
 * inputs, so sharing the buffer (refcounted, as Reshape does and as the cpu backend's Identity
 * does) is safe. Cast to bool is also done here: the stock kernel truncates to a byte (-2 -> 254,
 * 0.25 -> 0) where the cpu backend tests x != 0.
 */
import { tf } from '../tf.js';
import { runStock, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

function share(backend: WasmBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identityWasm(args: Args): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStock('Identity', args.backend, args.inputs, args.attrs);
  return share(args.backend, x);
}

export function castWasm(args: Args): TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (x.dtype === dtype && dtype !== 'string') return share(backend, x);
  if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
    const out = backend.makeOutput(x.shape, 'bool');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0; // NaN counts as true, as on cpu
    return out;
  }
  return runStock('Cast', backend, args.inputs, args.attrs);
}
