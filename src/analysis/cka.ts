/**
 * Linear centred kernel alignment (Kornblith et al., ICML 2019) between two representations of
 * the same n samples: X (n x dx) and Y (n x dy), columns centred,
 *
 *     CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F),
 *
 * in [0, 1], invariant to orthogonal transforms and isotropic scaling of either side. Drift
 * ||f_t(x) - f_(t-gap)(x)||^2 is large for a pure rotation of the embedding; CKA stays 1. Read
 * side by side, they tell "the features moved" from "the geometry changed".
 */
import { UserError } from '../errors.js';
import { representationMessages as msg } from '../messages/representation.js';

type Matrix = Float32Array | Float64Array;

/** A representation ready for CKA: centred float64 columns and ||X^T X||_F, computed once per snapshot. */
export interface CkaSide {
  rows: number;
  dim: number;
  centred: Float64Array;
  selfNorm: number;
}

export function ckaSide(x: Matrix, rows: number, dim: number): CkaSide {
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || dim < 1 || x.length !== rows * dim) throw new UserError(msg.badShape('linear CKA', x.length, rows, dim));
  if (rows < 2) throw new UserError(msg.tooFewRows('linear CKA', rows, 2));
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += x[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= rows;
  const centred = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) centred[r * dim + j] = x[r * dim + j] - mean[j];
  return { rows, dim, centred, selfNorm: Math.sqrt(crossSquaredNorm(centred, centred, rows, dim, dim)) };
}

/** ||B^T A||_F^2 for row-major A (n x da) and B (n x db), in float64. */
function crossSquaredNorm(a: Float64Array, b: Float64Array, rows: number, da: number, db: number): number {
  const m = new Float64Array(db * da);
  for (let r = 0; r < rows; r++) {
    const ra = r * da;
    const rb = r * db;
    for (let i = 0; i < db; i++) {
      const bi = b[rb + i];
      if (bi === 0) continue;
      const o = i * da;
      for (let j = 0; j < da; j++) m[o + j] += bi * a[ra + j];
    }
  }
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i] * m[i];
  return s;
}

/** Linear CKA of two prepared sides; NaN when either side has no variance (a collapsed embedding). */
export function linearCkaOf(x: CkaSide, y: CkaSide): number {
  if (x.rows !== y.rows) throw new UserError(msg.rowMismatch(x.rows, y.rows));
  const denominator = x.selfNorm * y.selfNorm;
  if (!(denominator > 0)) return NaN;
  // Rounding can push a perfect match a hair above 1.
  return Math.min(1, crossSquaredNorm(x.centred, y.centred, x.rows, x.dim, y.dim) / denominator);
}

/** Linear CKA of X (rows x dimX) and Y (rows x dimY), both row-major. */
export function linearCka(x: Matrix, y: Matrix, rows: number, dimX: number, dimY = dimX): number {
  return linearCkaOf(ckaSide(x, rows, dimX), ckaSide(y, rows, dimY));
}
