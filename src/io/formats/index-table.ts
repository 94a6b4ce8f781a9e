import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CsvAppender, readCsv } from '../csv.js';

/**
 * index.csv: one row per refresh of the smart-mining index (docs/run-folder.md). The refresh's
 * costs (they are the method's price), the index's recall against exact search on a sample, and
 * its staleness when it was replaced: the drift between the embeddings it held (computed `age`
 * iterations earlier) and fresh ones of the same samples, with the memory's staleness statistic.
 */
export interface IndexRefreshRow {
  iteration: number;
  entries: number;
  index: string; // 'hnsw' | 'exact'
  neighbours: number; // the controller's neighbourhood size k when the index was built
  ms_embed: number; // embedding the whole training split
  ms_build: number;
  ms_query: number; // mean per search, over the recall sample
  recall_k: number;
  recall: number; // recall@recall_k against exact search, mean over the sample
  age: number; // iterations since the replaced index was built; NaN at the first refresh
  drift_mean: number; // ||stored - fresh||^2 over the split, for the replaced index; NaN at the first
  drift_median: number;
  drift_p90: number;
  drift_max: number;
  anchors: number; // anchors mined from the replaced index
  positive_fallbacks: number; // anchors whose positive was outside their neighbourhood
  negative_fallbacks: number; // negatives drawn outside the neighbourhood
}
export const INDEX_COLUMNS: (keyof IndexRefreshRow)[] = [
  'iteration', 'entries', 'index', 'neighbours', 'ms_embed', 'ms_build', 'ms_query', 'recall_k', 'recall', 'age',
  'drift_mean', 'drift_median', 'drift_p90', 'drift_max', 'anchors', 'positive_fallbacks', 'negative_fallbacks',
];

export const indexTablePath = (runDir: string) => join(runDir, 'index.csv');

export function indexTableAppender(runDir: string): CsvAppender {
  return new CsvAppender(indexTablePath(runDir), INDEX_COLUMNS);
}

/** The refreshes of a run; null when it has no index.csv (no smart mining). */
export async function readIndexTable(runDir: string): Promise<IndexRefreshRow[] | null> {
  const path = indexTablePath(runDir);
  if (!existsSync(path)) return null;
  const rows = await readCsv<IndexRefreshRow>(path);
  return rows.map((r) => ({ ...r, index: String(r.index) }));
}
