import { UserError } from '../errors.js';
import type { SnapshotReader } from '../io/snapshot-reader.js';
import type { Snapshot } from '../io/snapshot-file.js';
import type { DriftRow } from '../io/tables.js';
import { driftMessages } from '../messages/drift.js';
import { pairDrift, perSampleDrift, probeScatter, summariseInPlace, type DriftStats, type ProbeScatter } from './drift-stats.js';

export { pairDrift, perSampleDrift, probeScatter, type DriftStats, type ProbeScatter } from './drift-stats.js';

/**
 * D(t; dt) = mean over the probe set of ||f_t(x) - f_(t-dt)(x)||^2, with median, p90 and max, for
 * every snapshot iteration t that has a snapshot at t - dt (xbm-primer.md "Feature drift").
 */

/**
 * One drift.csv row from its parts: the drift statistics of the pair (t - gap, t) and the probe's
 * scatter at t. The one definition of a row: computeDrift (the drift and warmup commands, the demo)
 * and the trainer's online check (driftRowAt) both build rows here, so they give the same numbers.
 */
export function driftRow(iteration: number, gap: number, stats: DriftStats, scatter: ProbeScatter): DriftRow {
  return { iteration, gap, ...stats, scatter_within: scatter.within, scatter_between: scatter.between, probe_spread: scatter.spread };
}

/** The drift row of two probe snapshots: `later` at t, `earlier` at t - gap, rows in probe order. */
export function driftRowAt(
  iteration: number, gap: number, later: Float32Array, earlier: Float32Array, labels: Int32Array, dim: number,
): DriftRow {
  return driftRow(iteration, gap, pairDrift(later, earlier, dim), probeScatter(later, labels, dim));
}

/** analysis/drift-by-class.csv: the same statistics over the probe samples of one class. */
export interface DriftByClassRow extends DriftRow {
  class: number;
}
export const DRIFT_BY_CLASS_COLUMNS: (keyof DriftByClassRow)[] = [
  'iteration', 'gap', 'class', 'mean', 'median', 'p90', 'max', 'n',
];

export interface DriftOptions {
  byClass?: boolean;
  /** most snapshots held in memory at once (>= 2); default 4 */
  cacheSnapshots?: number;
}

export interface DriftRunStats {
  pairs: number;
  snapshotsRead: number;
  /** most snapshots alive at once; never above cacheSnapshots */
  peakSnapshotsHeld: number;
  /** embedding bytes of both snapshots of every pair: pairs x 2 x n x dim x 4 */
  bytesCompared: number;
}

export interface DriftResult {
  runId: string;
  /** sorted by gap, then iteration */
  rows: DriftRow[];
  byClass?: DriftByClassRow[];
  /** requested gaps (> 0) that no snapshot pair supports */
  unsupportedGaps: number[];
  /** every gap some snapshot pair supports, ascending */
  possibleGaps: number[];
  /** texts for the user (driftMessages), already formatted */
  warnings: string[];
  stats: DriftRunStats;
}

export const DEFAULT_CACHE_SNAPSHOTS = 4;

/**
 * Drift of every supported (t, dt) pair, streaming over the run.
 *
 * Memory is bounded by `cacheSnapshots` snapshots whatever the run's length. Pairs are visited in
 * order of t, so the whole sequence of snapshot reads is known up front: on a miss with a full cache
 * the cached snapshot whose next use is farthest away is evicted (Belady's rule, optimal for a
 * known sequence), and a snapshot with no later use is dropped at once. Small gaps
 * (the companion snapshots of a schedule) then cost no second read; a large gap costs about one.
 */
export function computeDrift(reader: SnapshotReader, gaps: readonly number[], opts: DriftOptions = {}): DriftResult {
  for (const g of gaps) if (!Number.isInteger(g) || g < 0) throw new UserError(driftMessages.badGap(g));
  const capacity = Math.max(2, Math.floor(opts.cacheSnapshots ?? DEFAULT_CACHE_SNAPSHOTS));
  const iters = reader.iterations();
  const have = new Set(iters);
  const wanted = [...new Set(gaps)].sort((a, b) => a - b);
  const possible = possibleGaps(iters);
  const possibleSet = new Set(possible);
  const unsupported = wanted.filter((g) => g > 0 && !possibleSet.has(g));
  const used = wanted.filter((g) => g === 0 || possibleSet.has(g));

  // The pairs in visiting order, and for every read the position of the next read of that snapshot.
  const pairs: [number, number][] = [];
  for (const t of iters) for (const g of used) if (have.has(t - g)) pairs.push([t, g]);
  const seq = pairs.flatMap(([t, g]) => [t, t - g]);
  const nextUse = new Array<number>(seq.length);
  const later = new Map<number, number>();
  for (let i = seq.length - 1; i >= 0; i--) {
    nextUse[i] = later.get(seq[i]) ?? Infinity;
    later.set(seq[i], i);
  }

  const probe = reader.probe();
  const n = probe.sampleIds.length;
  const classes = opts.byClass ? classIndex(probe.labels) : null;
  const perSample = new Float64Array(n);
  const scratch = new Float64Array(n);
  const rows: DriftRow[] = [];
  // The scatter depends on t only: computed once per snapshot iteration, whatever the gaps.
  const scatterAt = new Map<number, ProbeScatter>();
  const byClass: DriftByClassRow[] = [];
  const stats: DriftRunStats = { pairs: 0, snapshotsRead: 0, peakSnapshotsHeld: 0, bytesCompared: 0 };
  // Each cached snapshot views its own file buffer; a dropped one hands its buffer to the next
  // read (no views of it survive: rows hold plain numbers). At most `capacity` buffers exist.
  const cache = new Map<number, { snapshot: Snapshot; buffer: Buffer; next: number }>();
  const spare: Buffer[] = [];
  const drop = (it: number) => {
    spare.push(cache.get(it)!.buffer);
    cache.delete(it);
  };

  const fetch = (i: number, keep: number | null): Snapshot => {
    const it = seq[i];
    let entry = cache.get(it);
    if (entry === undefined) {
      if (cache.size >= capacity) {
        let victim = -1;
        let farthest = -1;
        for (const [k, e] of cache) if (k !== keep && e.next > farthest) [victim, farthest] = [k, e.next];
        drop(victim);
      }
      const { snapshot, buffer } = reader.read(it, spare.pop());
      entry = { snapshot, buffer, next: 0 };
      cache.set(it, entry);
      stats.snapshotsRead++;
      stats.peakSnapshotsHeld = Math.max(stats.peakSnapshotsHeld, cache.size);
    }
    entry.next = nextUse[i];
    return entry.snapshot;
  };

  pairs.forEach(([t, g], k) => {
    const cur = fetch(2 * k, null);
    const prev = fetch(2 * k + 1, t);
    perSampleDrift(cur.embeddings, prev.embeddings, cur.dim, perSample);
    let scatter = scatterAt.get(t);
    if (scatter === undefined) scatterAt.set(t, (scatter = probeScatter(cur.embeddings, probe.labels, cur.dim)));
    for (const it of [t, t - g]) if (cache.get(it)?.next === Infinity) drop(it); // no later use
    stats.pairs++;
    stats.bytesCompared += 2 * cur.embeddings.byteLength;
    scratch.set(perSample);
    rows.push(driftRow(t, g, summariseInPlace(scratch, n), scatter));
    if (classes) {
      for (const [label, idx] of classes) {
        for (let i = 0; i < idx.length; i++) scratch[i] = perSample[idx[i]];
        byClass.push({ iteration: t, gap: g, class: label, ...summariseInPlace(scratch, idx.length) });
      }
    }
  });

  const order = (a: DriftRow, b: DriftRow) => a.gap - b.gap || a.iteration - b.iteration;
  rows.sort(order);
  byClass.sort((a, b) => order(a, b) || a.class - b.class);
  const warnings: string[] = [];
  if (iters.length === 1) warnings.push(driftMessages.oneSnapshot(reader.runDir, iters[0]));
  else if (unsupported.length > 0) warnings.push(driftMessages.unsupportedGaps(reader.runDir, unsupported, possible));
  return {
    runId: probe.runId,
    rows,
    ...(classes ? { byClass } : {}),
    unsupportedGaps: unsupported,
    possibleGaps: possible,
    warnings,
    stats,
  };
}

/** Every positive difference between two snapshot iterations, ascending. O(T^2) in the count T. */
export function possibleGaps(iterations: readonly number[]): number[] {
  const gaps = new Set<number>();
  for (let i = 0; i < iterations.length; i++) {
    for (let j = 0; j < i; j++) gaps.add(Math.abs(iterations[i] - iterations[j]));
  }
  gaps.delete(0);
  return [...gaps].sort((a, b) => a - b);
}

/**
 * Refuses gaps of which no two snapshots are apart (before anything is written): their drift table
 * would be empty and replace a good one. Some of them possible is enough (the rest are a warning).
 */
export function assertSomeGapPossible(runDir: string, iterations: readonly number[], gaps: readonly number[]): void {
  const possible = possibleGaps(iterations);
  if (!gaps.some((g) => possible.includes(g))) throw new UserError(driftMessages.noPossibleGap(runDir, gaps, possible));
}

/**
 * Gaps to use when the user gives none: the powers of ten (1, 10, 100, ...) that some snapshot
 * pair supports, plus the smallest spacing of the snapshots (the finest drift the run can show).
 */
export function defaultGaps(iterations: readonly number[]): number[] {
  const possible = possibleGaps(iterations);
  if (possible.length === 0) return [];
  const set = new Set(possible);
  const out = new Set<number>([possible[0]]);
  for (let g = 1; g <= possible[possible.length - 1]; g *= 10) if (set.has(g)) out.add(g);
  return [...out].sort((a, b) => a - b);
}

/** Probe row indices per class, classes ascending. */
function classIndex(labels: Int32Array): [number, Int32Array][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([label, idx]) => [label, Int32Array.from(idx)]);
}
