/**
 * BatchMatMul and _FusedMatMul for wasm with transposeA/transposeB. The stock kernels run
 * flag-free products on XNNPACK but fall back to a scalar loop for transposed operands, 14-45x
 * slower; matMul's own gradient uses transposed products. Here the flagged operand is transposed
 * explicitly (one copy, a small cost next to the product) and the flag-free stock kernel runs.
 * Also, the stock _FusedMatMul adds the bias (and PReLU weights) at the wrong offsets when there
 * is more than one matrix in the batch: those cases run as product, Add and activation kernels.
 */
import { tf } from '../tf.js';
import { free, runStock, transposeInfo, type TensorInfo, type WasmBackend } from './kernel-utils.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap };

/** The permutation that swaps the last two axes. */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function untransposed(kernelName: string, args: Args): TensorInfo {
  const { backend } = args;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock(kernelName, backend, args.inputs, args.attrs);
  }
  const a2 = transposeA ? transposeInfo(backend, a, swapLast(a.shape.length)) : a;
  const b2 = transposeB ? transposeInfo(backend, b, swapLast(b.shape.length)) : b;
  const out = runStock(kernelName, backend, { ...args.inputs, a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false });
  if (a2 !== a) free(backend, a2);
  if (b2 !== b) free(backend, b2);
  return out;
}

export function batchMatMulWasm(args: Args): TensorInfo {
  return untransposed('BatchMatMul', args);
}

export function fusedMatMulWasm(args: Args): TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const batch = tf.util.sizeFromShape(a!.shape.slice(0, -2)) * tf.util.sizeFromShape(b!.shape.slice(0, -2));
  if (batch > 1 && (bias != null || preluActivationWeights != null)) return unfused(args);
  return untransposed('_FusedMatMul', args);
}

/** matMul, then + bias, then the activation, as separate kernels. */
function unfused(args: Args): TensorInfo {
  const { backend } = args;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
  let y = untransposed('BatchMatMul', { backend, inputs: { a: a!, b: b! }, attrs: { transposeA, transposeB } });
  const then = (next: TensorInfo): void => {
    free(backend, y);
    y = next;
  };
  if (bias != null) then(runStock('Add', backend, { a: y, b: bias }));
  switch (activation) {
    case 'linear': break;
    case 'relu': then(runStock('Relu', backend, { x: y })); break;
    case 'relu6': then(runStock('Relu6', backend, { x: y })); break;
    case 'elu': then(runStock('Elu', backend, { x: y })); break;
    case 'sigmoid': then(runStock('Sigmoid', backend, { x: y })); break;
    case 'leakyrelu': then(runStock('LeakyRelu', backend, { x: y }, { alpha: leakyreluAlpha ?? 0.2 })); break;
    case 'prelu': then(runStock('Prelu', backend, { x: y, alpha: preluActivationWeights! })); break;
    default: throw new Error(`_FusedMatMul on wasm: unknown activation ${String(activation)}`);
  }
  return y;
}
