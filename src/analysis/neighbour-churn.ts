import { UserError } from '../errors.js';
import type { SnapshotReader } from '../io/snapshot-reader.js';
import { driftMessages } from '../messages/drift.js';
import { possibleGaps } from './drift.js';

/**
 * Neighbour churn: the share of probe samples whose nearest probe neighbour (self excluded)
 * changed between iterations t - dt and t. It says whether drift reorders the neighbourhoods that
 * mining sees, which a mean squared distance alone cannot.
 */
export type NeighbourMetric = 'cosine' | 'euclidean';

/** analysis/neighbour-churn.csv */
export interface NeighbourChurnRow {
  iteration: number;
  gap: number;
  metric: NeighbourMetric;
  churn: number; // changed / n
  changed: number;
  n: number; // probe samples searched
}
export const NEIGHBOUR_CHURN_COLUMNS: (keyof NeighbourChurnRow)[] = ['iteration', 'gap', 'metric', 'churn', 'changed', 'n'];

export const DEFAULT_NEIGHBOUR_LIMIT = 2000;

/**
 * Index of each row's nearest other row among the n = emb.length / dim rows; -1 when none exists.
 * Exact search, O(n^2 d) with each pair's dot product computed once and used for both rows. Ties go
 * to the lowest index. Cosine maximises a.b / (|a||b|); euclidean minimises |a|^2 + |b|^2 - 2 a.b
 * (float64 sums, so the expansion loses nothing that matters at these widths).
 */
export function nearestNeighbours(embeddings: Float32Array, dim: number, metric: NeighbourMetric): Int32Array {
  const n = embeddings.length / dim;
  const emb = Float64Array.from(embeddings); // float64 loads skip a conversion per multiply
  // Row i scores candidate j as dot(i, j) * w[j] - c[j]; the largest wins.
  const w = new Float64Array(n);
  const c = new Float64Array(n);
  for (let i = 0, o = 0; i < n; i++, o += dim) {
    let sq = 0;
    for (let k = o; k < o + dim; k++) sq += emb[k] * emb[k];
    if (metric === 'cosine') w[i] = 1 / Math.sqrt(sq); // zero vector: Infinity * 0 = NaN, never chosen
    else {
      w[i] = 2;
      c[i] = sq;
    }
  }
  const best = new Float64Array(n).fill(-Infinity);
  const arg = new Int32Array(n).fill(-1);
  const visit = (i: number, j: number, dot: number) => {
    // i < j, and both rows receive their candidates in ascending order, so strict > keeps the lowest.
    const si = dot * w[j] - c[j];
    if (si > best[i]) {
      best[i] = si;
      arg[i] = j;
    }
    const sj = dot * w[i] - c[i];
    if (sj > best[j]) {
      best[j] = sj;
      arg[j] = i;
    }
  };
  for (let i = 0; i < n; i++) {
    const oi = i * dim;
    let j = i + 1;
    // Four candidate rows at once: each load of row i feeds four products (about 1.5x faster).
    for (; j + 3 < n; j += 4) {
      const o0 = j * dim, o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim;
      let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
      for (let k = 0; k < dim; k++) {
        const x = emb[oi + k];
        d0 += x * emb[o0 + k];
        d1 += x * emb[o1 + k];
        d2 += x * emb[o2 + k];
        d3 += x * emb[o3 + k];
      }
      visit(i, j, d0);
      visit(i, j + 1, d1);
      visit(i, j + 2, d2);
      visit(i, j + 3, d3);
    }
    for (; j < n; j++) {
      const oj = j * dim;
      let d = 0;
      for (let k = 0; k < dim; k++) d += emb[oi + k] * emb[oj + k];
      visit(i, j, d);
    }
  }
  return arg;
}

/** How many rows have a different nearest neighbour in b than in a. */
export function changedNeighbours(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new RangeError(`changedNeighbours: ${a.length} rows vs ${b.length}`);
  let changed = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++;
  return changed;
}

export interface NeighbourChurnOptions {
  metric?: NeighbourMetric;
  /** search only the first `limit` probe samples (the probe is a seeded random subset already) */
  limit?: number;
}

export interface NeighbourChurnResult {
  rows: NeighbourChurnRow[];
  metric: NeighbourMetric;
  /** probe samples searched */
  n: number;
  probeSize: number;
}

/**
 * Churn for every supported (t, dt) pair. Each snapshot that takes part is read once and reduced to
 * its neighbour indices (limit x 4 bytes), which are kept; the embeddings are dropped at once. The
 * cost is O(snapshots x limit^2 x dim), hence the limit.
 */
export function computeNeighbourChurn(
  reader: SnapshotReader,
  gaps: readonly number[],
  opts: NeighbourChurnOptions = {},
): NeighbourChurnResult {
  const metric = opts.metric ?? 'cosine';
  const limit = opts.limit ?? DEFAULT_NEIGHBOUR_LIMIT;
  if (!Number.isInteger(limit) || limit < 2) throw new UserError(driftMessages.badNeighbourLimit(limit));
  const iters = reader.iterations();
  const have = new Set(iters);
  const possible = new Set(possibleGaps(iters));
  const used = [...new Set(gaps)].filter((g) => g === 0 || possible.has(g)).sort((a, b) => a - b);
  const probeSize = reader.probe().sampleIds.length;
  const m = Math.min(limit, probeSize);

  const nn = new Map<number, Int32Array>();
  let buffer: Buffer | undefined; // one file buffer, read into again: nothing views it after a step
  for (const t of iters) {
    if (!used.some((g) => have.has(t - g) || have.has(t + g))) continue;
    const r = reader.read(t, buffer);
    buffer = r.buffer;
    nn.set(t, nearestNeighbours(r.snapshot.embeddings.subarray(0, m * r.snapshot.dim), r.snapshot.dim, metric));
  }
  const rows: NeighbourChurnRow[] = [];
  for (const g of used) {
    for (const t of iters) {
      if (!have.has(t - g)) continue;
      const changed = changedNeighbours(nn.get(t - g)!, nn.get(t)!);
      rows.push({ iteration: t, gap: g, metric, churn: m > 0 ? changed / m : NaN, changed, n: m });
    }
  }
  return { rows, metric, n: m, probeSize };
}
