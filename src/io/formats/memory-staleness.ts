import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { ioMessages as M } from '../../messages/io.js';
import { CsvAppender, readCsv } from '../csv.js';

/**
 * Staleness inside the loss, per entry-age bin, for one step (memory-staleness.csv). Ages are
 * binned by powers of two, as drift grows roughly with the log of the gap at a constant lr and a
 * memory of M / B iterations then needs only log2(M / B) + 2 bins: bin 0 holds age 0 (the batch
 * just enqueued), bin 2^k the ages 2^k .. 2^(k+1) - 1.
 */
export interface AgeBinStats {
  age_bin: number;
  /** memory rows of this age in the loss's view (after the enqueue) */
  entries: number;
  /** valid query x memory pairs with a row of this age (self pairs excluded) */
  pairs: number;
  /** of those, pairs with a non-zero gradient; NaN when the memory loss was off */
  active_pairs: number;
  /** batch samples whose older copy of this age was in the memory */
  returned: number;
  /** mean ||f_t(x) - m_x||^2 over them: the true drift over exactly that age (NaN: none) */
  mean_sq_drift: number;
  max_sq_drift: number;
}

/**
 * memory-staleness.csv: the staleness inside the loss (docs/run-folder.md), one row per step that
 * wrote into the memory and per entry-age bin (memory/in-loss-staleness.ts): how many rows of that
 * age the loss saw, their pairs and active pairs, and the batch samples that came back while a
 * copy of that age was stored, with their true drift ||f_t(x) - m_x||^2. Written by the trainer at
 * every such step; no extra forward pass.
 */
export interface MemoryStalenessRow extends AgeBinStats {
  iteration: number;
}
export const MEMORY_STALENESS_COLUMNS: (keyof MemoryStalenessRow)[] = [
  'iteration', 'age_bin', 'entries', 'pairs', 'active_pairs', 'returned', 'mean_sq_drift', 'max_sq_drift',
];

export const memoryStalenessPath = (runDir: string) => join(runDir, 'memory-staleness.csv');

/** Appends whole rows, one write per step (a kill leaves no half row). */
export function memoryStalenessAppender(runDir: string): CsvAppender {
  return new CsvAppender(memoryStalenessPath(runDir), MEMORY_STALENESS_COLUMNS);
}

/** The rows of a run; null when it has none (no memory). A damaged file is a one-line error naming it. */
export async function readMemoryStaleness(runDir: string): Promise<MemoryStalenessRow[] | null> {
  const path = memoryStalenessPath(runDir);
  if (!existsSync(path)) return null;
  let rows: Record<string, unknown>[];
  try {
    rows = await readCsv<Record<string, unknown>>(path);
  } catch (e) {
    throw new UserError(M.badTable(path, (e as Error).message));
  }
  rows.forEach((r, i) => {
    for (const c of MEMORY_STALENESS_COLUMNS) {
      if (typeof r[c] !== 'number') throw new UserError(M.badTable(path, `row ${i + 1}: ${c} is ${r[c] === undefined ? 'missing' : `"${String(r[c])}", not a number`}`));
    }
  });
  return rows as unknown as MemoryStalenessRow[];
}
