import { UserError } from '../errors.js';
import { defaultGaps } from '../analysis/drift.js';
import { ckaSeries, probeTrajectories, type CkaRow, type Trajectories } from '../analysis/representation-over-time.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import type { DriftRow } from '../io/tables.js';
import { representationMessages as msg } from '../messages/representation.js';

/** What the trajectory and CKA figures draw for one run, computed from its probe snapshots. */
export interface RepresentationTables {
  /** Null with fewer than two snapshots. */
  trajectories: Trajectories | null;
  cka: CkaRow[];
  /** A damaged or inconsistent snapshot: the figures leave the run out and say why. */
  warning?: string;
}

export interface RepresentationInput {
  key: string;
  start: number | null | undefined;
  drift: DriftRow[] | null;
  batchSize?: number;
  memorySize?: number;
}

/**
 * The gaps of the CKA figure: those drift.csv already uses, else the memory's span S = ceil(M/B)
 * (the age of its oldest entry), else the drift command's default gaps.
 */
export function ckaGaps(iterations: readonly number[], r: RepresentationInput): number[] {
  const fromDrift = [...new Set((r.drift ?? []).map((d) => Number(d.gap)).filter((g) => Number.isInteger(g) && g > 0))];
  if (fromDrift.length > 0) return fromDrift.sort((a, b) => a - b);
  const { batchSize: b, memorySize: m } = r;
  if (b && m && b > 0 && m > 0) return [Math.ceil(m / b)];
  return defaultGaps(iterations);
}

/** Null when the run has no snapshots (the figures are then skipped as lacking data). */
export function loadRepresentation(dir: string, r: RepresentationInput): RepresentationTables | null {
  let reader: SnapshotReader;
  try {
    reader = SnapshotReader.open(dir);
  } catch (e) {
    if (e instanceof UserError) return null;
    throw e;
  }
  const iterations = reader.iterations();
  if (iterations.length < 2) return { trajectories: null, cka: [] };
  try {
    return {
      trajectories: probeTrajectories(reader, { start: r.start }),
      cka: ckaSeries(reader, ckaGaps(iterations, r)),
    };
  } catch (e) {
    if (e instanceof UserError) return { trajectories: null, cka: [], warning: msg.snapshotsUnreadable(r.key, e.message) };
    throw e;
  }
}
