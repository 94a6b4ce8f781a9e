import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { stepMessages as S } from '../messages/step.js';
import type { LossOutput, PairLoss } from './pair-loss.js';
import { lossDefinition, type LossConfig } from './registry.js';
import { reducerDefinition, type ReducerKind } from './reducers/registry.js';
import { cosineSimilarity } from './similarity.js';

/**
 * The loss kernels as tensor operations, for a step that never reads the device before its
 * update (train/device-step.ts). The same definitions as the host kernels (contrastive.ts,
 * multi-similarity.ts, reducers/), evaluated in float32 on the backend instead of float64 on
 * the host: the pair mask from label comparisons and the self slot, mining from comparisons on
 * S, each reducer's weights from the mask counts. As on the host, S's loss is one custom
 * gradient whose backward is dy * dLoss/dS, with the mining decisions and the weights constants
 * of the step; dLoss/dS is computed in the forward pass (untaped) and saved for the backward.
 *
 * Which configurations have a tensor version: deviceLossRefusal says, with the reason.
 */

/** A reference column's active pairs, counted on the device; the step fills `out` after its update. */
export interface PendingColumns {
  counts: tf.Tensor1D;
  out: Int32Array;
}

/** Why a configured loss has no tensor version, or null when it has one. */
export function deviceLossRefusal(cfg: LossConfig): string | null {
  if (cfg.kind !== 'contrastive' && cfg.kind !== 'multi-similarity') return S.noTensorLoss(cfg.kind);
  const reducer = cfg.reducer ?? lossDefinition(cfg.kind).defaultReducer;
  if (!(reducer in WEIGHTS)) return S.noTensorReducer(reducer);
  return null;
}

/** The loss of cfg as tensor kernels; throws (naming the reason) where deviceLossRefusal refuses it. */
export function createDeviceLoss(cfg: LossConfig): DeviceLoss {
  const refusal = deviceLossRefusal(cfg);
  if (refusal !== null) throw new UserError(refusal);
  return new DeviceLoss(cfg);
}

/** Group terms summarised as tensors (the tensor form of reducers/reducer.ts's TermGroup). */
/** Every field a scalar tensor. */
interface Group {
  count: tf.Tensor;
  active: tf.Tensor;
  sum: tf.Tensor;
  activeSum: tf.Tensor;
}
interface Weights {
  active: tf.Tensor;
  inactive: tf.Tensor;
}
interface Terms {
  groups: Group[];
  active: tf.Tensor;
  grad(w: Weights[]): tf.Tensor2D;
}
/** pos, neg: float 0/1 masks [nq, nr] of the valid positive and negative pairs. */
interface Masks {
  pos: tf.Tensor2D;
  neg: tf.Tensor2D;
}

/** Each registered reducer's weights as tensors (the same formulas as reducers/*.ts). */
const WEIGHTS: Record<ReducerKind, (groups: Group[], nq: number) => Weights[]> = {
  'sum-per-query': (groups, nq) => groups.map(() => ({ active: tf.scalar(1 / nq), inactive: tf.scalar(1 / nq) })),
  'mean-active': (groups) => groups.map((g) => ({ active: tf.divNoNan(tf.scalar(1), g.active), inactive: tf.scalar(0) })),
  mean: (groups) => {
    const w = tf.divNoNan(tf.scalar(1), tf.addN(groups.map((g) => g.count)));
    return groups.map(() => ({ active: w, inactive: w }));
  },
};

export class DeviceLoss implements PairLoss {
  readonly name: string;
  readonly reducer: ReducerKind;
  private columns: PendingColumns[] | null = null;
  constructor(readonly config: LossConfig) {
    this.name = config.kind;
    this.reducer = reducerDefinition(config.reducer ?? lossDefinition(config.kind).defaultReducer).kind;
  }

  /** This loss for one step: a columnActivity it is asked for is counted on the device and queued in `pending`. */
  withColumnReads(pending: PendingColumns[]): DeviceLoss {
    const copy = Object.create(this) as this;
    copy.columns = pending;
    return copy;
  }

  compute(q: tf.Tensor2D, qLabels: tf.Tensor1D, ref: tf.Tensor2D, refLabels: tf.Tensor1D, selfIndex?: Int32Array, columnActivity?: Int32Array): LossOutput {
    const [nq, d] = q.shape;
    const [nr, dRef] = ref.shape;
    if (q.rank !== 2) throw new UserError(M.notMatrix('q', q.shape));
    if (ref.rank !== 2) throw new UserError(M.notMatrix('ref', ref.shape));
    if (d !== dRef) throw new UserError(M.dimMismatch(d, dRef));
    for (const [arg, labels, rows] of [['qLabels', qLabels, nq], ['refLabels', refLabels, nr]] as const) {
      if (labels.rank !== 1 || labels.shape[0] !== rows) throw new UserError(M.labelsShape(arg, labels.shape, rows));
      if (labels.dtype !== 'int32') throw new UserError(M.labelsDtype(arg, labels.dtype));
    }
    if (selfIndex != null) {
      if (selfIndex.length !== nq) throw new UserError(M.selfIndexLength(selfIndex.length, nq));
      selfIndex.forEach((j, i) => {
        if (j < -1 || j >= nr) throw new UserError(M.selfIndexRange(i, j, nr));
      });
    }
    if (columnActivity && columnActivity.length !== nr) throw new UserError(M.columnActivityLength(columnActivity.length, nr));
    if (columnActivity && !this.columns) throw new Error('DeviceLoss counts column activity only for a step (withColumnReads)');
    if (nq === 0 || nr === 0) throw new Error(`DeviceLoss on an empty set (${nq} x ${nr}): the step never asks for one`);
    let stats: LossOutput['stats'] | null = null;
    const lossOfS = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [s, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
      const masks = this.masks(s, qLabels, refLabels, selfIndex);
      const terms = this.terms(s, masks);
      const weights = WEIGHTS[this.reducer](terms.groups, nq);
      const grad = terms.grad(weights);
      save([grad]);
      stats = {
        positive: tf.keep(tf.sum(masks.pos)),
        negative: tf.keep(tf.sum(masks.neg)),
        active: tf.keep(terms.active as tf.Scalar),
      };
      if (columnActivity) {
        // Active pairs are those with a non-zero dLoss/dS, as pair-loss.ts's countActiveColumns.
        this.columns!.push({ counts: tf.keep(tf.sum(tf.cast(tf.notEqual(grad, 0), 'int32'), 0)), out: columnActivity });
      }
      const value = tf.addN(terms.groups.map((g, i) => {
        const w = weights[i];
        return tf.add(tf.mul(w.active, g.activeSum), tf.mul(w.inactive, tf.sub(g.sum, g.activeSum)));
      }));
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
    });
    const loss = tf.tidy(() => lossOfS(cosineSimilarity(q, ref)) as tf.Scalar);
    return { loss, stats: stats! };
  }

  /** The valid pairs: same label positive, else negative; the self slot (and, by similarity, its near-copies) excluded. */
  private masks(s: tf.Tensor2D, qLabels: tf.Tensor1D, refLabels: tf.Tensor1D, selfIndex?: Int32Array): Masks {
    const [nq, nr] = s.shape;
    const same = tf.cast(tf.equal(tf.reshape(qLabels, [nq, 1]), tf.reshape(refLabels, [1, nr])), 'float32') as tf.Tensor2D;
    // oneHot of -1 is a zero row: a query with no self column.
    const valid = selfIndex ? tf.sub(1, tf.oneHot(tf.tensor1d(selfIndex, 'int32'), nr)) as tf.Tensor2D : tf.onesLike(same);
    let pos = tf.mul(same, valid) as tf.Tensor2D;
    const neg = tf.mul(tf.sub(1, same), valid) as tf.Tensor2D;
    const exclusion = this.config.selfExclusion;
    if (exclusion?.kind === 'similarity') pos = tf.mul(pos, tf.cast(tf.less(s, 1 - exclusion.epsilon), 'float32')) as tf.Tensor2D;
    return { pos, neg };
  }

  private terms(s: tf.Tensor2D, masks: Masks): Terms {
    const cfg = this.config;
    if (cfg.kind === 'contrastive') return contrastiveTerms(s, masks, cfg.margin, cfg.negativeValue ?? 'excess');
    if (cfg.kind === 'multi-similarity') return multiSimilarityTerms(s, masks, cfg);
    throw new Error(`no tensor kernel for ${cfg.kind}`);
  }
}

const f32 = (t: tf.Tensor) => tf.cast(t, 'float32');

/** contrastive.ts's kernel: (1 - s) for every positive, relu(s - margin) (or s) for the negatives above the margin. */
function contrastiveTerms(s: tf.Tensor2D, { pos, neg }: Masks, margin: number, negativeValue: 'excess' | 'similarity'): Terms {
  const posTerm = tf.sub(1, s);
  const posActive = tf.mul(pos, f32(tf.less(s, 1)));
  const negActive = tf.mul(neg, f32(tf.greater(s, margin)));
  const negTerm = negativeValue === 'excess' ? tf.sub(s, margin) : s;
  const negSum = tf.sum(tf.mul(negActive, negTerm));
  const positives: Group = { count: tf.sum(pos), active: tf.sum(posActive), sum: tf.sum(tf.mul(pos, posTerm)), activeSum: tf.sum(tf.mul(posActive, posTerm)) };
  const negatives: Group = { count: tf.sum(neg), active: tf.sum(negActive), sum: negSum, activeSum: negSum };
  return {
    groups: [positives, negatives],
    active: tf.add(positives.active, negatives.active),
    // d(1 - s)/ds = -1 for every positive (weighted as active or not); d relu(s - m)/ds = 1 above the margin.
    grad: ([wp, wn]) => tf.sub(tf.mul(negActive, wn.active), tf.add(tf.mul(posActive, wp.active), tf.mul(tf.sub(pos, posActive), wp.inactive))) as tf.Tensor2D,
  };
}

/** multi-similarity.ts's kernel: per anchor, mining against the unmined extremes, then two stable log-sum-exps. */
function multiSimilarityTerms(s: tf.Tensor2D, { pos, neg }: Masks, { alpha, beta, base, epsilon }: { alpha: number; beta: number; base: number; epsilon: number }): Terms {
  const isPos = tf.cast(pos, 'bool');
  const isNeg = tf.cast(neg, 'bool');
  const minPos = tf.min(tf.where(isPos, s, tf.fill(s.shape, Infinity)), 1, true);
  const maxNeg = tf.max(tf.where(isNeg, s, tf.fill(s.shape, -Infinity)), 1, true);
  const minedPos = tf.logicalAnd(isPos, tf.less(tf.sub(s, epsilon), maxNeg));
  const minedNeg = tf.logicalAnd(isNeg, tf.greater(tf.add(s, epsilon), minPos));
  const posCount = tf.sum(f32(minedPos), 1, true);
  const negCount = tf.sum(f32(minedNeg), 1, true);
  // An anchor without a positive or a negative has empty mined sets (its extremes are infinite).
  const anchor = tf.logicalAnd(tf.greater(posCount, 0), tf.greater(negCount, 0));
  const posPart = softplusSum(s, minedPos, -alpha, base);
  const negPart = softplusSum(s, minedNeg, beta, base);
  const zero = tf.zerosLike(posPart.value);
  const term = tf.where(anchor, tf.add(tf.div(posPart.value, alpha), tf.div(negPart.value, beta)), zero);
  const unit = tf.mul(f32(anchor), tf.sub(negPart.weights, posPart.weights));
  const isActive = tf.greater(term, 0);
  const anchors: Group = { count: tf.scalar(s.shape[0]), active: tf.sum(f32(isActive)), sum: tf.sum(term), activeSum: tf.sum(tf.where(isActive, term, zero)) };
  return {
    groups: [anchors],
    active: tf.sum(tf.mul(f32(anchor), tf.add(posCount, negCount))),
    grad: ([w]) => tf.mul(unit, tf.where(isActive, w.active, w.inactive)) as tf.Tensor2D,
  };
}

/**
 * Per row, log(1 + sum over the mask of exp(scale (s - base))) computed stably ([nq, 1]), and its
 * derivative w.r.t. each s over scale, the softmax weights ([nq, nr], 0 off the mask).
 */
function softplusSum(s: tf.Tensor2D, mask: tf.Tensor, scale: number, base: number): { value: tf.Tensor; weights: tf.Tensor } {
  const a = tf.where(mask, tf.mul(tf.sub(s, base), scale), tf.fill(s.shape, -Infinity));
  // The implicit exp(0) term of the "1 +" keeps the top at 0 or above (and finite for an empty row).
  const top = tf.maximum(tf.max(a, 1, true), 0);
  const e = tf.where(mask, tf.exp(tf.sub(a, top)), tf.zerosLike(s));
  const z = tf.add(tf.exp(tf.neg(top)), tf.sum(e, 1, true));
  return { value: tf.add(top, tf.log(z)), weights: tf.div(e, z) };
}
