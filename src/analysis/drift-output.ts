import { META } from '../io/arrow-ipc.js';
import { writeNumericArrow, type NumericColumnType } from '../io/arrow-table.js';
import { writeCsv } from '../io/csv.js';
import { runPaths } from '../io/run-paths.js';
import { DRIFT_COLUMNS } from '../io/tables.js';
import { DRIFT_BY_CLASS_COLUMNS, type DriftResult } from './drift.js';
import { NEIGHBOUR_CHURN_COLUMNS, type NeighbourChurnResult } from './neighbour-churn.js';

const INT_COLUMNS = new Set(['iteration', 'gap', 'class', 'n', 'changed']);
const arrowColumns = (names: readonly string[]) =>
  names.map((name) => ({ name, type: (INT_COLUMNS.has(name) ? 'int32' : 'float64') as NumericColumnType }));

/**
 * Write analysis/drift.csv and analysis/drift.arrow (the same table), plus drift-by-class.csv and
 * neighbour-churn.csv when computed. Each file is written atomically. Returns the paths written.
 */
export async function writeDriftOutputs(
  runDir: string,
  drift: DriftResult,
  churn?: NeighbourChurnResult,
): Promise<string[]> {
  const p = runPaths(runDir);
  const written: string[] = [];
  await writeCsv(p.driftCsv, DRIFT_COLUMNS, drift.rows as unknown as Record<string, unknown>[]);
  written.push(p.driftCsv);
  writeNumericArrow(p.driftArrow, arrowColumns(DRIFT_COLUMNS), drift.rows as unknown as Record<string, unknown>[], {
    [META.kind]: 'drift',
    [META.runId]: drift.runId,
  });
  written.push(p.driftArrow);
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
