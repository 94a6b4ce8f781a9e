/**
 * Principal components of an n x d embedding matrix, in float64 on the host: the axes a report
 * fits once on a reference snapshot and applies to every snapshot, so positions at different
 * iterations are comparable (a PCA refitted per snapshot would rotate and flip with the data).
 *
 * The top k eigenvectors of the d x d covariance come from subspace iteration with a few extra
 * vectors and a Rayleigh-Ritz step (a small Jacobi eigensolve): cheap for d up to 512 and robust
 * when the top eigenvalues are close, where plain power iteration with deflation crawls.
 */
import { UserError } from '../errors.js';
import { representationMessages as msg } from '../messages/representation.js';
import { Rng } from '../random.js';

export interface Pca {
  dim: number;
  /** Column means of the reference matrix: projections centre every snapshot on these. */
  mean: Float64Array;
  /** k unit vectors of length dim, largest variance first; the largest |entry| of each is positive. */
  components: Float64Array[];
  /** Variance along each component (eigenvalues of the covariance, divisor n - 1). */
  variances: number[];
  /** Trace of the covariance: variances[i] / totalVariance is the share a component explains. */
  totalVariance: number;
}

type Matrix = Float32Array | Float64Array;

function checkShape(what: string, x: Matrix, rows: number, dim: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || dim < 1 || rows < 0 || x.length !== rows * dim) {
    throw new UserError(msg.badShape(what, x.length, rows, dim));
  }
}

/** Column means and the d x d covariance (divisor n - 1), accumulated in float64. */
export function covariance(x: Matrix, rows: number, dim: number): { mean: Float64Array; cov: Float64Array } {
  checkShape('covariance', x, rows, dim);
  if (rows < 2) throw new UserError(msg.tooFewRows('covariance', rows, 2));
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += x[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= rows;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) c[j] = x[r * dim + j] - mean[j];
    // Upper triangle only; mirrored below.
    for (let i = 0; i < dim; i++) {
      const ci = c[i];
      if (ci === 0) continue;
      const row = i * dim;
      for (let j = i; j < dim; j++) cov[row + j] += ci * c[j];
    }
  }
  for (let i = 0; i < dim; i++)
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j] / (rows - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a small symmetric p x p matrix by cyclic Jacobi rotations: values
 * descending, vectors as the columns of a row-major p x p matrix.
 */
export function symmetricEigen(a: Float64Array, p: number): { values: number[]; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < p; i++) {
      diag += m[i * p + i] ** 2;
      for (let j = i + 1; j < p; j++) off += m[i * p + j] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let i = 0; i < p; i++)
      for (let j = i + 1; j < p; j++) {
        const aij = m[i * p + j];
        if (aij === 0) continue;
        const theta = (m[j * p + j] - m[i * p + i]) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          // m <- m J (columns i, j), then m <- J^T m (rows i, j)
          const mki = m[k * p + i];
          const mkj = m[k * p + j];
          m[k * p + i] = c * mki - s * mkj;
          m[k * p + j] = s * mki + c * mkj;
        }
        for (let k = 0; k < p; k++) {
          const mik = m[i * p + k];
          const mjk = m[j * p + k];
          m[i * p + k] = c * mik - s * mjk;
          m[j * p + k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k * p + i];
          const vkj = v[k * p + j];
          v[k * p + i] = c * vki - s * vkj;
          v[k * p + j] = s * vki + c * vkj;
        }
      }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => m[y * p + y] - m[x * p + x]);
  const vectors = new Float64Array(p * p);
  order.forEach((src, dst) => {
    for (let k = 0; k < p; k++) vectors[k * p + dst] = v[k * p + src];
  });
  return { values: order.map((i) => m[i * p + i]), vectors };
}

/** Orthonormalise the p columns of a d x p row-major matrix in place (Gram-Schmidt, twice). */
function orthonormalise(q: Float64Array, d: number, p: number, rng: Rng): void {
  for (let col = 0; col < p; col++) {
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++)
        for (let prev = 0; prev < col; prev++) {
          let dot = 0;
          for (let k = 0; k < d; k++) dot += q[k * p + col] * q[k * p + prev];
          for (let k = 0; k < d; k++) q[k * p + col] -= dot * q[k * p + prev];
        }
      let norm = 0;
      for (let k = 0; k < d; k++) norm += q[k * p + col] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-12 || attempt > 5) {
        for (let k = 0; k < d; k++) q[k * p + col] /= norm || 1;
        break;
      }
      // A column in the span of the others (a rank-deficient covariance): start it afresh.
      for (let k = 0; k < d; k++) q[k * p + col] = rng.normal();
    }
  }
}

/** out = cov (d x d) times q (d x p), both row-major. */
function multiply(cov: Float64Array, q: Float64Array, d: number, p: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < d; i++) {
    const row = i * d;
    const o = i * p;
    for (let k = 0; k < d; k++) {
      const c = cov[row + k];
      if (c === 0) continue;
      const qk = k * p;
      for (let j = 0; j < p; j++) out[o + j] += c * q[qk + j];
    }
  }
}

/** The top k eigenpairs of a symmetric d x d matrix (subspace iteration + Rayleigh-Ritz). */
export function topEigen(cov: Float64Array, d: number, k: number, opts: { tolerance?: number; maxIterations?: number } = {}): { values: number[]; vectors: Float64Array[] } {
  if (!Number.isInteger(k) || k < 1 || k > d) throw new UserError(msg.badComponents(k, d));
  const tol = opts.tolerance ?? 1e-10;
  const maxIterations = opts.maxIterations ?? 3000;
  // Extra vectors speed convergence from |l_(k+1) / l_k| to |l_(p+1) / l_k|.
  const p = Math.min(d, k + 8);
  const rng = new Rng(12345);
  const q = new Float64Array(d * p);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalise(q, d, p, rng);
  const z = new Float64Array(d * p);
  const h = new Float64Array(p * p);
  const ritz = new Float64Array(d * p);
  const cRitz = new Float64Array(d * p);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += Math.abs(cov[i * d + i]);
  let values: number[] = [];
  for (let it = 0; ; it++) {
    multiply(cov, q, d, p, z);
    // H = Q^T C Q, then the Ritz vectors V = Q W and C V = Z W.
    h.fill(0);
    for (let r = 0; r < d; r++)
      for (let i = 0; i < p; i++) {
        const qi = q[r * p + i];
        for (let j = 0; j < p; j++) h[i * p + j] += qi * z[r * p + j];
      }
    for (let i = 0; i < p; i++)
      for (let j = i + 1; j < p; j++) h[i * p + j] = h[j * p + i] = (h[i * p + j] + h[j * p + i]) / 2;
    const eig = symmetricEigen(h, p);
    values = eig.values;
    ritz.fill(0);
    cRitz.fill(0);
    for (let r = 0; r < d; r++)
      for (let i = 0; i < p; i++) {
        const qi = q[r * p + i];
        const zi = z[r * p + i];
        for (let j = 0; j < p; j++) {
          ritz[r * p + j] += qi * eig.vectors[i * p + j];
          cRitz[r * p + j] += zi * eig.vectors[i * p + j];
        }
      }
    // Converged when every wanted Ritz pair satisfies ||C v - l v|| <= tol * trace(C).
    let worst = 0;
    for (let j = 0; j < k; j++) {
      let res = 0;
      for (let r = 0; r < d; r++) res += (cRitz[r * p + j] - values[j] * ritz[r * p + j]) ** 2;
      worst = Math.max(worst, Math.sqrt(res));
    }
    if (worst <= tol * Math.max(trace, 1e-300) || it >= maxIterations) break;
    q.set(cRitz);
    orthonormalise(q, d, p, rng);
  }
  const vectors = Array.from({ length: k }, (_, j) => {
    const v = new Float64Array(d);
    for (let r = 0; r < d; r++) v[r] = ritz[r * p + j];
    return canonicalSign(v);
  });
  return { values: values.slice(0, k).map((l) => Math.max(0, l)), vectors };
}

/** An eigenvector's sign is arbitrary: make its largest |entry| positive, so refits agree. */
function canonicalSign(v: Float64Array): Float64Array {
  let at = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[at]) + 1e-12) at = i;
  if (v[at] < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i];
  return v;
}

/** Fit k principal components on an n x d row-major matrix (the reference snapshot). */
export function fitPca(x: Matrix, rows: number, dim: number, k = 2): Pca {
  checkShape('PCA', x, rows, dim);
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new UserError(msg.badComponents(k, dim));
  const { mean, cov } = covariance(x, rows, dim);
  let totalVariance = 0;
  for (let i = 0; i < dim; i++) totalVariance += cov[i * dim + i];
  const { values, vectors } = topEigen(cov, dim, k);
  return { dim, mean, components: vectors, variances: values, totalVariance };
}

/**
 * Coordinates of rows of x (n x d, same width as the fit) on the fitted axes, centred on the
 * reference mean: (x_i - mean) . v_c for each chosen row i (all rows by default), as a
 * row-major (chosen rows) x k matrix.
 */
export function projectRows(pca: Pca, x: Matrix, rows: number, chosen?: readonly number[]): Float64Array {
  checkShape('PCA projection', x, rows, pca.dim);
  const idx = chosen ?? Array.from({ length: rows }, (_, i) => i);
  const k = pca.components.length;
  const out = new Float64Array(idx.length * k);
  idx.forEach((r, o) => {
    for (let c = 0; c < k; c++) {
      const v = pca.components[c];
      let s = 0;
      for (let j = 0; j < pca.dim; j++) s += (x[r * pca.dim + j] - pca.mean[j]) * v[j];
      out[o * k + c] = s;
    }
  });
  return out;
}
