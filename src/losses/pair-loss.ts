import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { cosineSimilarity } from './similarity.js';

/** Pair counts read back as numbers: totals over all anchors. */
export interface PairStats {
  positive: number;
  negative: number;
  active: number;
}

/**
 * What a loss returns; the caller owns every tensor. Each is an independent tensor (the stats
 * are built from numbers, not derived from the loss), so a caller inside tf.variableGrads can
 * tf.keep() any subset of them. A type alias, not an interface, so tf.dispose(output) accepts it.
 */
export type LossOutput = {
  loss: tf.Scalar;
  stats: { positive: tf.Scalar; negative: tf.Scalar; active: tf.Scalar };
};

export interface PairLoss {
  readonly name: string;
  /**
   * q: [nq,d], qLabels int32 [nq], ref: [nr,d], refLabels int32 [nr]; selfIndex[i] = column of
   * ref that is query i itself (-1: none). Rows must be L2-normalised. Differentiable w.r.t. q
   * and ref. columnActivity (length nr), when given, is filled with the active pairs of each
   * reference column (see countActiveColumns).
   */
  compute(q: tf.Tensor2D, qLabels: tf.Tensor1D, ref: tf.Tensor2D, refLabels: tf.Tensor1D, selfIndex?: Int32Array, columnActivity?: Int32Array): LossOutput;
  /**
   * The same loss with its host kernels run by `run` instead of runDirect (host-kernel.ts: the
   * record and replay passes of a step on a backend that reads only asynchronously). Optional:
   * a loss without it trains on the synchronous backends only.
   */
  withKernelRunner?(run: KernelRunner): PairLoss;
}

/**
 * The valid pairs of a query/reference set, row-major [nq, nr]: 1 positive (same label),
 * -1 negative, 0 excluded (the query itself, by index: a duplicate with the same label and an
 * identical embedding stays a positive).
 */
export interface PairMask {
  nq: number;
  nr: number;
  kind: Int8Array;
  positive: number;
  negative: number;
}

/**
 * A loss as a function of the similarity matrix S (row-major [nq, nr], float32): its value and
 * dLoss/dS, both computed in float64, plus the number of pairs that receive a non-zero gradient.
 * Mining decisions and the reducer's weights (they depend on counts only) are constants of the
 * step, so dLoss/dS is exact almost everywhere. create-loss.ts builds one from a loss kernel's
 * terms and a reducer (reducers/reducer.ts).
 */
export type SimilarityLossKernel = (s: Float32Array, pairs: PairMask) => {
  value: number;
  grad: Float32Array;
  active: number;
  /** the valid pairs when the kernel decided them from S (self-exclusion by similarity); absent: the mask's */
  pairs?: { positive: number; negative: number };
};

/** What a kernel returns for one similarity matrix. */
export type KernelResult = ReturnType<SimilarityLossKernel>;

/** How computePairLoss obtains a kernel's result for the similarity matrix S held on the device. */
export type KernelRunner = (kernel: SimilarityLossKernel, s: tf.Tensor, pairs: PairMask) => KernelResult;

/** The runner of the synchronous backends (cpu, wasm, tfjs-node): read S in place, run the kernel. */
export const runDirect: KernelRunner = (kernel, s, pairs) => kernel(s.dataSync() as Float32Array, pairs);

/**
 * Shared body of every PairLoss: validate, build the pair mask, S = cosineSimilarity(q, ref),
 * then run the kernel on S inside a customGrad whose backward is dy * dLoss/dS.
 *
 * Why the kernel runs on the CPU side instead of as tfjs ops: mining selects pairs and triplets
 * by comparing similarities, which tfjs cannot differentiate through without a stop-gradient;
 * triplet mining over nq x P x N triplets would need [nq, nr, nr] tensors (4e9 floats at
 * nr = 8192), whereas sorting per anchor counts them in O(nr log nr); and the values are
 * accumulated in float64. S is read back once per call by `run` (cpu and wasm keep it in host
 * memory; on backends that read only asynchronously, host-kernel.ts's runners record and replay).
 */
export function computePairLoss(
  kernel: SimilarityLossKernel,
  q: tf.Tensor2D,
  qLabels: tf.Tensor1D,
  ref: tf.Tensor2D,
  refLabels: tf.Tensor1D,
  selfIndex?: Int32Array,
  columnActivity?: Int32Array,
  run: KernelRunner = runDirect,
): LossOutput {
  const pairs = pairMask(q, qLabels, ref, refLabels, selfIndex);
  if (columnActivity && columnActivity.length !== pairs.nr) throw new UserError(M.columnActivityLength(columnActivity.length, pairs.nr));
  columnActivity?.fill(0);
  let active = 0;
  let counted = { positive: pairs.positive, negative: pairs.negative };
  const loss = tf.tidy(() => {
    // Empty sets: tfjs-wasm returns uninitialised memory for zero-size products, so skip them.
    if (pairs.nq === 0 || pairs.nr === 0) return zeroLoss(q, ref);
    const lossOfS = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const r = run(kernel, args[0] as tf.Tensor, pairs);
      active = r.active;
      if (r.pairs) counted = r.pairs;
      if (columnActivity) countActiveColumns(r.grad, pairs.nq, pairs.nr, columnActivity);
      return {
        value: tf.scalar(r.value),
        gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor2d(r.grad, [pairs.nq, pairs.nr])),
      };
    });
    return lossOfS(cosineSimilarity(q, ref)) as tf.Scalar;
  });
  return {
    loss,
    stats: { positive: tf.scalar(counted.positive), negative: tf.scalar(counted.negative), active: tf.scalar(active) },
  };
}

/**
 * Active pairs per reference column: the non-zero entries of dLoss/dS ("active" is defined as the
 * pairs that receive a non-zero gradient), counted from the gradient the kernel already returned,
 * so the kernels stay as they are; one pass over nq x nr, done only when a caller asks.
 */
export function countActiveColumns(grad: Float32Array, nq: number, nr: number, out: Int32Array): void {
  out.fill(0);
  for (let i = 0; i < nq; i++) {
    const row = i * nr;
    for (let j = 0; j < nr; j++) if (grad[row + j] !== 0) out[j]++;
  }
}

/** Reads a LossOutput's stats back as numbers (does not dispose them). */
export function readPairStats(stats: LossOutput['stats']): PairStats {
  return {
    positive: stats.positive.dataSync()[0],
    negative: stats.negative.dataSync()[0],
    active: stats.active.dataSync()[0],
  };
}

/** Validates the inputs of PairLoss.compute and builds their pair mask. */
export function pairMask(
  q: tf.Tensor2D,
  qLabels: tf.Tensor1D,
  ref: tf.Tensor2D,
  refLabels: tf.Tensor1D,
  selfIndex?: Int32Array,
): PairMask {
  if (q.rank !== 2) throw new UserError(M.notMatrix('q', q.shape));
  if (ref.rank !== 2) throw new UserError(M.notMatrix('ref', ref.shape));
  const [nq, d] = q.shape;
  const [nr, dRef] = ref.shape;
  if (d !== dRef) throw new UserError(M.dimMismatch(d, dRef));
  const ql = readLabels('qLabels', qLabels, nq);
  const rl = readLabels('refLabels', refLabels, nr);
  if (selfIndex != null && selfIndex.length !== nq) throw new UserError(M.selfIndexLength(selfIndex.length, nq));
  const kind = new Int8Array(nq * nr);
  let positive = 0;
  let excluded = 0;
  for (let i = 0; i < nq; i++) {
    const label = ql[i];
    const row = i * nr;
    for (let j = 0; j < nr; j++) {
      const same = rl[j] === label;
      kind[row + j] = same ? 1 : -1;
      if (same) positive++;
    }
    const self = selfIndex == null ? -1 : selfIndex[i];
    if (self === -1) continue;
    if (self < 0 || self >= nr) throw new UserError(M.selfIndexRange(i, self, nr));
    if (kind[row + self] === 1) positive--;
    kind[row + self] = 0;
    excluded++;
  }
  return { nq, nr, kind, positive, negative: nq * nr - positive - excluded };
}

function readLabels(arg: string, labels: tf.Tensor1D, rows: number): Int32Array {
  if (labels.rank !== 1 || labels.shape[0] !== rows) throw new UserError(M.labelsShape(arg, labels.shape, rows));
  if (labels.dtype !== 'int32') throw new UserError(M.labelsDtype(arg, labels.dtype));
  return labels.dataSync() as Int32Array;
}

/** A zero loss that stays connected to q and ref, so tf.grads still finds a path (zero gradients). */
function zeroLoss(q: tf.Tensor2D, ref: tf.Tensor2D): tf.Scalar {
  const op = tf.customGrad(() => ({
    value: tf.scalar(0),
    // Shapes, not the inputs: an intermediate q may already be disposed when backprop runs.
    gradFunc: () => [tf.zeros(q.shape), tf.zeros(ref.shape)],
  }));
  return op(q, ref) as tf.Scalar;
}
