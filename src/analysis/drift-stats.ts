/**
 * Per-sample squared distances between two embedding matrices and their summary (mean, median,
 * p90, max). Pure Float32Array/Float64Array math: the trainer's online warm-up check and the drift
 * analysis share it.
 */

export interface DriftStats {
  mean: number;
  /** quantiles interpolate linearly between order statistics (numpy's default) */
  median: number;
  p90: number;
  max: number;
  n: number;
}

/**
 * out[i] = ||a_i - b_i||^2 for the n = a.length / dim rows, accumulated in float64.
 * The inner loop is unrolled by 4: the JIT then keeps four independent sums in registers.
 */
export function perSampleDrift(a: Float32Array, b: Float32Array, dim: number, out?: Float64Array): Float64Array {
  if (a.length !== b.length) throw new RangeError(`perSampleDrift: a has ${a.length} floats, b ${b.length}`);
  if (!Number.isInteger(dim) || dim <= 0 || a.length % dim !== 0) {
    throw new RangeError(`perSampleDrift: ${a.length} floats are not whole rows of width ${dim}`);
  }
  const n = a.length / dim;
  const res = out ?? new Float64Array(n);
  if (res.length < n) throw new RangeError(`perSampleDrift: out has ${res.length} slots, need ${n}`);
  const body = dim - (dim % 4);
  for (let i = 0, o = 0; i < n; i++, o += dim) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = o;
    const end4 = o + body;
    for (; j < end4; j += 4) {
      const d0 = a[j] - b[j];
      const d1 = a[j + 1] - b[j + 1];
      const d2 = a[j + 2] - b[j + 2];
      const d3 = a[j + 3] - b[j + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (const end = o + dim; j < end; j++) {
      const d = a[j] - b[j];
      s0 += d * d;
    }
    res[i] = s0 + s1 + s2 + s3;
  }
  return res;
}

/**
 * Summary of values[0..count). Reorders `values` in place (quickselect, O(count)): pass a scratch
 * copy if the order matters. Any NaN (an embedding that diverged) makes every statistic NaN.
 */
export function summariseInPlace(values: Float64Array, count = values.length): DriftStats {
  const n = count;
  if (n === 0) return { mean: NaN, median: NaN, p90: NaN, max: NaN, n: 0 };
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    if (v > max) max = v;
  }
  if (Number.isNaN(sum)) return { mean: NaN, median: NaN, p90: NaN, max: NaN, n };
  // Select the median's order statistic first; the p90 one lies to its right, so its search is
  // confined to the upper part.
  const median = quantileAfter(values, n, 0.5, 0);
  const p90 = quantileAfter(values, n, 0.9, Math.floor(0.5 * (n - 1)));
  return { mean: sum / n, median, p90, max, n };
}

/** Summary of the drift between two n x dim embedding matrices. */
export function pairDrift(a: Float32Array, b: Float32Array, dim: number): DriftStats {
  return summariseInPlace(perSampleDrift(a, b, dim));
}

/** q-quantile of values[0..n), knowing values[lo..n) holds exactly the order statistics >= lo. */
function quantileAfter(values: Float64Array, n: number, q: number, lo: number): number {
  const h = q * (n - 1);
  const k = Math.floor(h);
  selectKth(values, lo, n - 1, k);
  const v0 = values[k];
  const frac = h - k;
  if (frac === 0) return v0;
  let v1 = Infinity; // the next order statistic: the minimum of the part right of k
  for (let i = k + 1; i < n; i++) if (values[i] < v1) v1 = values[i];
  return v0 + frac * (v1 - v0);
}

/**
 * Hoare quickselect with a median-of-three pivot on a[lo..hi] (inclusive): afterwards a[k] is the
 * k-th smallest, everything left of it is <= a[k] and everything right of it >= a[k].
 */
function selectKth(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return; // a[j+1..i-1] all equal the pivot
  }
}

/** Within- and between-class scatter of one probe snapshot (the scatter warm-up policy reads them). */
export interface ProbeScatter {
  /**
   * W: pooled within-class variance, sum over classes of sum_i ||f_i - c_y||^2 divided by
   * sum over classes of (n_y - 1), c_y the class mean. Dividing by n_y - 1 rather than n_y makes it
   * an unbiased estimate of E||f(x) - centre||^2 for a fresh sample, whatever the probe's class sizes.
   */
  within: number;
  /** B: mean over the same samples of ||c_y - c||^2, c the mean of those samples. */
  between: number;
  /** Samples counted: those of classes with at least two probe samples (a lone sample has no scatter). */
  n: number;
  /**
   * P: the mean squared distance between two different probe samples, over every sample and
   * whatever the classes (labels are not read): (2 n sum_i ||f_i||^2 - 2 ||sum_i f_i||^2) / (n (n - 1)).
   * The trial policy compares the drift with it. NaN with fewer than two samples.
   */
  spread: number;
}

/**
 * W and B of an n x dim embedding matrix with one label per row, accumulated in float64. Classes
 * with one sample are skipped; with none left (or a non-finite embedding) both are NaN.
 */
export function probeScatter(embeddings: Float32Array, labels: Int32Array, dim: number): ProbeScatter {
  const n = labels.length;
  if (!Number.isInteger(dim) || dim <= 0 || embeddings.length !== n * dim) {
    throw new RangeError(`probeScatter: ${embeddings.length} floats are not ${n} rows of width ${dim}`);
  }
  const slot = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!slot.has(labels[i])) slot.set(labels[i], slot.size);
  const spread = pairwiseSpread(embeddings, n, dim);
  const k = slot.size;
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * dim);
  for (let i = 0; i < n; i++) {
    const c = slot.get(labels[i])!;
    counts[c]++;
    for (let j = 0, o = i * dim, s = c * dim; j < dim; j++) sums[s + j] += embeddings[o + j];
  }
  // Class means (in place) and the overall mean of the samples of classes with >= 2 samples.
  const overall = new Float64Array(dim);
  let kept = 0;
  let dof = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c] < 2) continue;
    kept += counts[c];
    dof += counts[c] - 1;
    for (let j = 0, s = c * dim; j < dim; j++) {
      overall[j] += sums[s + j];
      sums[s + j] /= counts[c];
    }
  }
  if (kept === 0) return { within: NaN, between: NaN, n: 0, spread };
  for (let j = 0; j < dim; j++) overall[j] /= kept;
  let within = 0;
  for (let i = 0; i < n; i++) {
    const c = slot.get(labels[i])!;
    if (counts[c] < 2) continue;
    for (let j = 0, o = i * dim, s = c * dim; j < dim; j++) within += (embeddings[o + j] - sums[s + j]) ** 2;
  }
  let between = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c] < 2) continue;
    let d = 0;
    for (let j = 0, s = c * dim; j < dim; j++) d += (sums[s + j] - overall[j]) ** 2;
    between += counts[c] * d;
  }
  return { within: within / dof, between: between / kept, n: kept, spread };
}

/** P of probeScatter: the mean of ||f_i - f_j||^2 over ordered pairs i != j, in O(n dim) by the sum identity. */
function pairwiseSpread(embeddings: Float32Array, n: number, dim: number): number {
  if (n < 2) return NaN;
  const sum = new Float64Array(dim);
  let squares = 0;
  for (let i = 0, o = 0; i < n; i++, o += dim) {
    for (let j = 0; j < dim; j++) {
      const v = embeddings[o + j];
      sum[j] += v;
      squares += v * v;
    }
  }
  let sumSq = 0;
  for (let j = 0; j < dim; j++) sumSq += sum[j] * sum[j];
  // Rounding can leave a tiny negative value for identical rows; the spread is then 0.
  return Math.max(0, (2 * n * squares - 2 * sumSq) / (n * (n - 1)));
}
