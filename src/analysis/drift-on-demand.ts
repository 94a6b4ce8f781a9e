import { existsSync, readdirSync } from 'node:fs';
import { UserError } from '../errors.js';
import { driftGaps, readDriftTable, writeDriftTable, type DriftTable } from '../io/formats/drift-table.js';
import { iterationFromSnapshotName, runPaths } from '../io/run-paths.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import type { DriftRow } from '../io/tables.js';
import { driftMessages } from '../messages/drift.js';
import { computeDrift, possibleGaps } from './drift.js';

/**
 * A run's drift table with the gaps an analysis needs, computing those it lacks first. A need for
 * gap g is met by the smallest gap >= g that two snapshots are apart (the gap a policy reads D(t; S)
 * at); where the run has no snapshots to compute from, by any measured gap >= g, as before. The new
 * rows are added to analysis/drift.csv and drift.arrow (rows already there are kept), and `note`
 * gets one line saying what is computed. Returns the table, or null when there is none and
 * nothing was needed.
 */
export async function driftWithGaps(runDir: string, needed: readonly number[], note: (line: string) => void): Promise<DriftTable | null> {
  const table = await readDriftTable(runDir);
  const have = driftGaps(table?.rows ?? []);
  const reader = hasSnapshots(runDir) ? SnapshotReader.open(runDir) : null;
  if (table === null && needed.length > 0 && reader === null) throw new UserError(driftMessages.noDriftNoSnapshots(runDir));
  const possible = reader ? possibleGaps(reader.iterations()) : [];
  const missing = new Set<number>();
  for (const g of needed) {
    const best = possible.find((p) => p >= g);
    if (best !== undefined && !have.includes(best)) missing.add(best);
  }
  if (missing.size === 0 || reader === null) return table;
  const gaps = [...missing].sort((a, b) => a - b);
  note(driftMessages.computingMissing(runDir, gaps, table !== null));
  const drift = computeDrift(reader, gaps);
  const rows = [...(table?.rows ?? []), ...drift.rows].sort(byIterationThenGap);
  await writeDriftTable(runDir, rows, drift.runId);
  return { rows, lacking: [] }; // the file now has every column (NaN where an older file had none)
}

/** Whether the run holds a snapshot file to compute drift from. */
export function hasSnapshots(runDir: string): boolean {
  const dir = runPaths(runDir).snapshots;
  return existsSync(dir) && readdirSync(dir).some((name) => iterationFromSnapshotName(name) !== null);
}

const byIterationThenGap = (a: DriftRow, b: DriftRow) => a.iteration - b.iteration || a.gap - b.gap;
