import { existsSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { analysisMessages } from '../../messages/analysis.js';
import { ioMessages } from '../../messages/io.js';
import { META } from '../arrow-ipc.js';
import { writeNumericArrow, type NumericColumnType } from '../arrow-table.js';
import { readCsv, writeCsv } from '../csv.js';
import { runPaths } from '../run-paths.js';
import { DRIFT_COLUMNS, DRIFT_OPTIONAL_COLUMNS, withOptionalDriftColumns, type DriftRow } from '../tables.js';

/**
 * analysis/drift.csv and analysis/drift.arrow: the same table of D(t; dt) (io/tables.ts DriftRow),
 * written together by `xbm-drift drift` (and by analyses that compute a missing drift), read here
 * by every reader (warmup, report, analyseRun).
 */
export interface DriftTable {
  rows: DriftRow[];
  /** Optional columns the file's header lacks (written before they existed): read as NaN. */
  lacking: (keyof DriftRow)[];
}

/** Integer-valued columns: Int32 in drift.arrow, the rest Float64. */
const INT_COLUMNS = new Set(['iteration', 'gap', 'class', 'n', 'changed']);
const arrowColumns = (names: readonly string[]) =>
  names.map((name) => ({ name, type: (INT_COLUMNS.has(name) ? 'int32' : 'float64') as NumericColumnType }));

/**
 * A run's drift table; null when the run has none. A damaged file (unparsable CSV, a missing
 * column, a cell that is not a number) is a one-line UserError naming the file and the defect.
 */
export async function readDriftTable(runDir: string): Promise<DriftTable | null> {
  const path = runPaths(runDir).driftCsv;
  if (!existsSync(path)) return null;
  const rows = await readCsv<Record<string, unknown>>(path);
  const header = rows.length > 0 ? rows[0] : null;
  const required = DRIFT_COLUMNS.filter((c) => !DRIFT_OPTIONAL_COLUMNS.includes(c));
  if (header) for (const c of required) if (!(c in header)) throw new UserError(analysisMessages.badDriftCsv(path, c));
  rows.forEach((r, i) => {
    for (const c of required) {
      if (typeof r[c] !== 'number') throw new UserError(ioMessages.badTable(path, `row ${i + 1}: ${c} is ${r[c] === undefined || r[c] === '' ? 'missing' : `"${String(r[c])}", not a number`}`));
    }
  });
  const lacking = DRIFT_OPTIONAL_COLUMNS.filter((c) => header !== null && !(c in header));
  return { rows: withOptionalDriftColumns(rows as unknown as DriftRow[]), lacking };
}

/** The gaps a drift table holds, ascending. */
export function driftGaps(rows: readonly DriftRow[]): number[] {
  return [...new Set(rows.map((r) => r.gap))].sort((a, b) => a - b);
}

/** Write analysis/drift.csv and analysis/drift.arrow, each atomically; returns the paths written. */
export async function writeDriftTable(runDir: string, rows: readonly DriftRow[], runId: string): Promise<string[]> {
  const p = runPaths(runDir);
  await writeCsv(p.driftCsv, DRIFT_COLUMNS, rows);
  writeNumericArrow(p.driftArrow, arrowColumns(DRIFT_COLUMNS), rows as unknown as Record<string, unknown>[], { [META.kind]: 'drift', [META.runId]: runId });
  return [p.driftCsv, p.driftArrow];
}
