import { writeCsv } from '../io/csv.js';
import { writeDriftTable } from '../io/formats/drift-table.js';
import { runPaths } from '../io/run-paths.js';
import { DRIFT_BY_CLASS_COLUMNS, type DriftResult } from './drift.js';
import { NEIGHBOUR_CHURN_COLUMNS, type NeighbourChurnResult } from './neighbour-churn.js';

/**
 * Write analysis/drift.csv and analysis/drift.arrow (io/formats/drift-table.ts), plus
 * drift-by-class.csv and neighbour-churn.csv when computed. Each file is written atomically.
 * Returns the paths written.
 */
export async function writeDriftOutputs(
  runDir: string,
  drift: DriftResult,
  churn?: NeighbourChurnResult,
): Promise<string[]> {
  const p = runPaths(runDir);
  const written = await writeDriftTable(runDir, drift.rows, drift.runId);
  if (drift.byClass) {
    await writeCsv(p.driftByClassCsv, DRIFT_BY_CLASS_COLUMNS, drift.byClass as unknown as Record<string, unknown>[]);
    written.push(p.driftByClassCsv);
  }
  if (churn) {
    await writeCsv(p.neighbourChurnCsv, NEIGHBOUR_CHURN_COLUMNS, churn.rows as unknown as Record<string, unknown>[]);
    written.push(p.neighbourChurnCsv);
  }
  return written;
}
