/**
 * Two views of a run's probe snapshots that compare across time:
 * - probe trajectories on one set of PCA axes, fitted once on a reference snapshot and applied to
 *   every snapshot (a refit per snapshot would rotate and flip the picture between iterations);
 * - linear CKA between the snapshots t and t - gap, next to the drift D(t; gap) of the same pair.
 * Both read snapshots through SnapshotReader, so they work on runs made anywhere.
 */
import type { SnapshotReader } from '../io/snapshot-reader.js';
import { ckaSide, linearCkaOf, type CkaSide } from './cka.js';
import { pairDrift, possibleGaps } from './drift.js';
import { fitPca, projectRows } from './pca.js';

/** Which snapshot the PCA axes were fitted on, and why that one. */
export interface PcaReference {
  iteration: number;
  /** 'before-start': the last snapshot before the XBM start; 'last': the last snapshot. */
  rule: 'before-start' | 'last';
  /** Share of the reference's variance on each axis. */
  explained: [number, number];
}

export interface TrajectoryPoint {
  iteration: number;
  /** Probe sample id, so a trajectory is one sample through the snapshots. */
  sample: number;
  label: number;
  pc1: number;
  pc2: number;
}

export interface Trajectories {
  reference: PcaReference;
  points: TrajectoryPoint[];
  /** Snapshots drawn (thinned evenly when there are more than maxSnapshots), ascending. */
  iterations: number[];
}

export interface TrajectoryOptions {
  /** The XBM start: the reference is the last snapshot strictly before it, when there is one. */
  start?: number | null;
  classes?: number;
  perClass?: number;
  maxSnapshots?: number;
}

/** The reference snapshot: the last before the XBM start when the run has one, else the last. */
export function pcaReference(iterations: readonly number[], start: number | null | undefined): { iteration: number; rule: PcaReference['rule'] } {
  const before = typeof start === 'number' ? iterations.filter((t) => t < start) : [];
  return before.length > 0 ? { iteration: before.at(-1)!, rule: 'before-start' } : { iteration: iterations.at(-1)!, rule: 'last' };
}

/** Probe rows drawn: the first `perClass` samples (probe order) of the `classes` smallest labels. */
export function trajectorySubset(labels: Int32Array, classes: number, perClass: number): number[] {
  const chosen = [...new Set(labels)].sort((a, b) => a - b).slice(0, classes);
  const taken = new Map(chosen.map((c) => [c, 0]));
  const rows: number[] = [];
  labels.forEach((label, row) => {
    const n = taken.get(label);
    if (n !== undefined && n < perClass) {
      taken.set(label, n + 1);
      rows.push(row);
    }
  });
  return rows;
}

/** At most `max` iterations, evenly spaced, always with the first, the last and the `keep` ones. */
export function thinIterations(iterations: readonly number[], max: number, keep: readonly number[] = []): number[] {
  if (iterations.length <= max) return [...iterations];
  const out = new Set<number>(keep.filter((k) => iterations.includes(k)));
  const step = (iterations.length - 1) / Math.max(1, max - 1);
  for (let i = 0; i < max; i++) out.add(iterations[Math.round(i * step)]);
  return [...out].sort((a, b) => a - b);
}

export function probeTrajectories(reader: SnapshotReader, o: TrajectoryOptions = {}): Trajectories {
  const all = reader.iterations();
  const ref = pcaReference(all, o.start);
  const probe = reader.probe();
  const n = probe.sampleIds.length;
  const refSnap = reader.at(ref.iteration);
  const pca = fitPca(refSnap.embeddings, n, refSnap.dim, 2);
  const total = pca.totalVariance > 0 ? pca.totalVariance : NaN;
  const rows = trajectorySubset(probe.labels, o.classes ?? 8, o.perClass ?? 5);
  const startSnapshot = typeof o.start === 'number' ? all.find((t) => t >= o.start!) : undefined;
  const iterations = thinIterations(all, o.maxSnapshots ?? 120, [ref.iteration, ...(startSnapshot === undefined ? [] : [startSnapshot])]);
  const points: TrajectoryPoint[] = [];
  for (const t of iterations) {
    const s = t === ref.iteration ? refSnap : reader.at(t);
    const xy = projectRows(pca, s.embeddings, n, rows);
    rows.forEach((row, i) => points.push({ iteration: t, sample: probe.sampleIds[row], label: probe.labels[row], pc1: xy[2 * i], pc2: xy[2 * i + 1] }));
  }
  return { reference: { ...ref, explained: [pca.variances[0] / total, pca.variances[1] / total] }, points, iterations };
}

export interface CkaRow {
  iteration: number;
  gap: number;
  /** Linear CKA of the snapshots t and t - gap (same probe samples). */
  cka: number;
  /** D(t; gap), the mean squared drift of the same pair over the whole probe. */
  drift: number;
}

export interface CkaOptions {
  /** Probe rows used for CKA (the first ones, in probe order): its cost is rows x d^2 per pair. */
  maxRows?: number;
  /** Most iterations t per gap, thinned evenly. */
  maxPerGap?: number;
}

/**
 * CKA(f_t, f_(t - gap)) and D(t; gap) for every snapshot pair at the given gaps (those no pair
 * supports are left out), sorted by gap, then t. A few snapshots are cached, as pairs at small
 * gaps share them.
 */
export function ckaSeries(reader: SnapshotReader, gaps: readonly number[], o: CkaOptions = {}): CkaRow[] {
  const all = reader.iterations();
  const have = new Set(all);
  const supported = new Set(possibleGaps(all));
  const n = reader.probe().sampleIds.length;
  const rows = Math.min(n, o.maxRows ?? 1024);
  const cache = new Map<number, { emb: Float32Array; dim: number; side: CkaSide }>();
  const get = (t: number) => {
    let e = cache.get(t);
    if (!e) {
      const s = reader.at(t);
      e = { emb: s.embeddings, dim: s.dim, side: ckaSide(s.embeddings.subarray(0, rows * s.dim), rows, s.dim) };
      if (cache.size >= 6) cache.delete(cache.keys().next().value!);
      cache.set(t, e);
    }
    return e;
  };
  const out: CkaRow[] = [];
  for (const gap of [...new Set(gaps)].filter((g) => g > 0 && supported.has(g)).sort((a, b) => a - b)) {
    const ts = thinIterations(all.filter((t) => have.has(t - gap)), o.maxPerGap ?? 300);
    for (const t of ts) {
      const later = get(t);
      const earlier = get(t - gap);
      out.push({ iteration: t, gap, cka: linearCkaOf(later.side, earlier.side), drift: pairDrift(later.emb, earlier.emb, later.dim).mean });
    }
  }
  return out;
}
