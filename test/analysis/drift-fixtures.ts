import { Rng } from '../../src/random.js';
import { writeProbe } from '../../src/io/probe-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { writeSnapshot } from '../../src/io/snapshot-file.js';

/**
 * Synthetic run folders and naive float64 references for the snapshot, drift and neighbour-churn
 * tests. The references are the slowest obvious loops on purpose.
 */

export interface FakeRun {
  dir: string;
  sampleIds: Int32Array;
  labels: Int32Array;
  /** embeddings by iteration, probe order */
  embeddings: Map<number, Float32Array>;
  dim: number;
}

export function seededFloats(rng: Rng, count: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * A run whose snapshot at iteration t is a random walk from the one before it, so drift grows with
 * the gap like a real run's. Sample ids are shuffled (not 0..n-1) and label 0 is an ordinary class.
 */
export function makeRun(
  dir: string,
  opts: { n: number; dim: number; iterations: number[]; seed?: number; classes?: number; probeFile?: boolean; runId?: string },
): FakeRun {
  const rng = new Rng(opts.seed ?? 1);
  const { n, dim } = opts;
  const sampleIds = rng.shuffle(Int32Array.from({ length: n }, (_, i) => 1000 + 7 * i));
  const labels = Int32Array.from({ length: n }, () => rng.int(opts.classes ?? 4));
  const runId = opts.runId ?? 'test-run';
  if (opts.probeFile ?? true) writeProbe(runPaths(dir).probe, { runId, sampleIds, labels });
  const embeddings = new Map<number, Float32Array>();
  let cur = seededFloats(rng, n * dim);
  for (const t of [...opts.iterations].sort((a, b) => a - b)) {
    const step = seededFloats(rng, n * dim, 0.1);
    cur = cur.map((v, i) => v + step[i]);
    embeddings.set(t, cur);
    writeSnapshot(runPaths(dir).snapshot(t), { runId, iteration: t, sampleIds, labels, embeddings: cur, dim, normalized: false });
  }
  return { dir, sampleIds, labels, embeddings, dim };
}

/** numpy-style linear-interpolation quantile of an ascending array. */
function quantileSorted(sorted: number[], q: number): number {
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface NaiveStats {
  mean: number;
  median: number;
  p90: number;
  max: number;
  n: number;
}

/** Per-sample ||a_i - b_i||^2 in float64 over the given rows, then sort-based statistics. */
export function naiveDrift(a: Float32Array, b: Float32Array, dim: number, rows?: number[]): NaiveStats {
  const idx = rows ?? Array.from({ length: a.length / dim }, (_, i) => i);
  const per: number[] = [];
  for (const i of idx) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const d = Number(a[i * dim + k]) - Number(b[i * dim + k]);
      s += d * d;
    }
    per.push(s);
  }
  const sorted = [...per].sort((x, y) => x - y);
  let sum = 0;
  for (const v of per) sum += v;
  return {
    mean: sum / per.length,
    median: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    max: sorted[sorted.length - 1],
    n: per.length,
  };
}

/** Nearest other row by direct distance (no algebraic shortcut), lowest index on ties. */
export function naiveNearest(emb: Float32Array, dim: number, metric: 'cosine' | 'euclidean'): Int32Array {
  const n = emb.length / dim;
  const row = (i: number) => Array.from(emb.subarray(i * dim, (i + 1) * dim), Number);
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const a = row(i);
    let best = metric === 'cosine' ? -Infinity : Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const b = row(j);
      let v: number;
      if (metric === 'cosine') {
        let dot = 0, na = 0, nb = 0;
        for (let k = 0; k < dim; k++) {
          dot += a[k] * b[k];
          na += a[k] * a[k];
          nb += b[k] * b[k];
        }
        v = dot / Math.sqrt(na * nb);
        if (v > best) {
          best = v;
          out[i] = j;
        }
      } else {
        v = 0;
        for (let k = 0; k < dim; k++) v += (a[k] - b[k]) ** 2;
        if (v < best) {
          best = v;
          out[i] = j;
        }
      }
    }
  }
  return out;
}

/** Compare numbers field by field; returns one line per mismatch (empty when all agree). */
export function statMismatches(label: string, got: NaiveStats, want: NaiveStats, tol: number): string[] {
  const out: string[] = [];
  for (const k of ['mean', 'median', 'p90', 'max', 'n'] as const) {
    const g = got[k];
    const w = want[k];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= tol * Math.max(1, Math.abs(w));
    if (!ok) out.push(`${label} ${k}: got ${g}, want ${w}`);
  }
  return out;
}
