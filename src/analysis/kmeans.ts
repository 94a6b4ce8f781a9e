import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { analysisMessages } from '../messages/analysis.js';
import type { Rng } from '../random.js';

export interface KMeansOptions {
  k: number;
  rng: Rng;
  /** Lloyd iterations after the k-means++ seeding; stops earlier when no assignment changes. */
  maxIterations?: number;
}

export interface KMeansResult {
  assignments: Int32Array;
  /** k x dim, row-major */
  centroids: Float32Array;
  iterations: number;
  converged: boolean;
}

/** "A few" Lloyd iterations: NMI is stable by then, and each costs an n x k score matrix. */
export const KMEANS_DEFAULT_ITERATIONS = 10;

// Bounds the n x k score matrix held at once (floats).
const SCORE_CHUNK_ELEMENTS = 8_000_000;

/**
 * k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) drawn from `rng`, then Lloyd
 * iterations. Distances run on the tf backend (flag-free matMuls); centroid updates are an
 * O(n*d) JS loop per iteration. An empty cluster keeps its previous centroid.
 * Distance ties go to the lower centroid index.
 */
export async function kMeans(data: Float32Array, dim: number, opts: KMeansOptions): Promise<KMeansResult> {
  const n = checkMatrix(data, dim);
  const k = opts.k;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new UserError(analysisMessages.badClusterCount(k, n));
  const maxIterations = Math.max(1, opts.maxIterations ?? KMEANS_DEFAULT_ITERATIONS);
  const assignments = new Int32Array(n).fill(-1);
  let iterations = 0;
  let converged = false;
  const x = tf.tensor2d(data, [n, dim]);
  try {
    const centroids = seedPlusPlus(data, n, dim, k, opts.rng);
    while (iterations < maxIterations) {
      const next = await assign(x, n, dim, centroids, k);
      iterations++;
      let changed = 0;
      for (let i = 0; i < n; i++) if (next[i] !== assignments[i]) changed++;
      assignments.set(next);
      updateCentroids(data, n, dim, assignments, centroids, k);
      if (changed === 0) {
        converged = true;
        break;
      }
    }
    return { assignments, centroids, iterations, converged };
  } finally {
    x.dispose();
  }
}

function checkMatrix(data: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1 || data.length % dim !== 0) {
    throw new UserError(analysisMessages.badEmbeddingShape(data.length, dim));
  }
  return data.length / dim;
}

/**
 * k-means++ seeding: k sequential O(n*d) distance passes. A JS loop here costs about the same CPU
 * as a backend matVec per centre (measured on wasm: the matVec is memory-bound and pays kernel
 * overhead), so the loop stays in JS. For thousands of classes this pass dominates NMI's time.
 */
function seedPlusPlus(data: Float32Array, n: number, dim: number, k: number, rng: Rng): Float32Array {
  const c = new Float32Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    const off = pick * dim;
    c.set(data.subarray(off, off + dim), j * dim);
    if (j === k - 1) break;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const diff = data[base + t] - data[off + t];
        s += diff * diff;
      }
      if (s < d2[i]) d2[i] = s;
      total += d2[i];
    }
    // D^2 sampling; when every point coincides with a centre, fall back to a uniform pick.
    if (total > 0) {
      let u = rng.next() * total;
      pick = n - 1;
      for (let i = 0; i < n; i++) {
        u -= d2[i];
        if (u < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = rng.int(n);
    }
  }
  return c;
}

/** argmin_j ||x - c_j||^2 = argmin_j (||c_j||^2 - 2 x.c_j), chunked over rows. */
async function assign(x: tf.Tensor2D, n: number, dim: number, centroids: Float32Array, k: number): Promise<Int32Array> {
  const out = new Int32Array(n);
  const rows = Math.max(1, Math.floor(SCORE_CHUNK_ELEMENTS / k));
  const [ct, cNorm] = tf.tidy(() => {
    const c = tf.tensor2d(centroids, [k, dim]);
    return [tf.transpose(c), tf.sum(tf.square(c), 1)] as const;
  });
  try {
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      const idx = tf.tidy(() => {
        const q = tf.slice(x, [start, 0], [size, dim]);
        return tf.argMin(tf.sub(cNorm, tf.mul(tf.matMul(q, ct), 2)), 1);
      });
      try {
        out.set(await idx.data() as Int32Array, start);
      } finally {
        idx.dispose();
      }
    }
  } finally {
    tf.dispose([ct, cNorm]);
  }
  return out;
}

function updateCentroids(
  data: Float32Array, n: number, dim: number, assignments: Int32Array, centroids: Float32Array, k: number,
): void {
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const a = assignments[i];
    counts[a]++;
    for (let t = 0; t < dim; t++) sums[a * dim + t] += data[i * dim + t];
  }
  for (let j = 0; j < k; j++) {
    if (counts[j] === 0) continue; // empty cluster keeps its centroid
    for (let t = 0; t < dim; t++) centroids[j * dim + t] = sums[j * dim + t] / counts[j];
  }
}

/**
 * Normalised mutual information with arithmetic-mean normalisation, 2 I(A;B) / (H(A) + H(B))
 * (scikit-learn's default). Two labelings that are both a single cluster score 1.
 */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new UserError(analysisMessages.labelLengthMismatch(n, b.length));
  if (n === 0) return NaN;
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  const joint = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
    const key = `${a[i]},${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  const entropy = (m: Map<number, number>) => {
    let h = 0;
    for (const c of m.values()) h -= (c / n) * Math.log(c / n);
    return h;
  };
  const ha = entropy(ca);
  const hb = entropy(cb);
  if (ha === 0 && hb === 0) return 1;
  let mi = 0;
  for (const [key, c] of joint) {
    const comma = key.indexOf(',');
    const na = ca.get(Number(key.slice(0, comma)))!;
    const nb = cb.get(Number(key.slice(comma + 1)))!;
    mi += (c / n) * Math.log((c * n) / (na * nb));
  }
  // Clamp float round-off; the exact value lies in [0, 1].
  return Math.min(1, Math.max(0, (2 * mi) / (ha + hb)));
}
