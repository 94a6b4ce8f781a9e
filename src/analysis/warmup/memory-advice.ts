import { UserError } from '../../errors.js';
import type { DriftRow } from '../../io/tables.js';
import type { MemorySizeAdvice } from '../../io/formats/warmup-file.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { rowAtGap } from './drift-at-gap.js';
import { memorySpan } from './threshold.js';

export type { MemorySizeAdvice };

/**
 * For each candidate memory size M: how stale its oldest entries would be right after the memory
 * first fills following the start, i.e. the drift over S = ceil(M/B) iterations, all after the
 * start. Read at the first snapshot t >= start + S that has a measured gap g >= S, using the
 * smallest such g with t - g >= start (an upper bound on D(t; S), as in drift-at-gap.ts).
 * largestOk is the largest candidate within the threshold, null when none is.
 */
export function adviseMemorySize(
  rows: readonly DriftRow[], start: number, batchSize: number, candidates: number[], threshold: number,
): { perSize: MemorySizeAdvice[]; largestOk: number | null } {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(msg.badContextSize('batch size', batchSize));
  for (const m of candidates) if (!Number.isInteger(m) || m < 1) throw new UserError(msg.badContextSize('memory size', m));
  const byIteration = new Map<number, DriftRow[]>();
  for (const r of rows) {
    if (r.iteration - r.gap < start) continue; // the interval must lie after the start
    const list = byIteration.get(r.iteration) ?? [];
    list.push(r);
    byIteration.set(r.iteration, list);
  }
  const iterations = [...byIteration.keys()].sort((a, b) => a - b);
  const perSize = [...candidates].sort((a, b) => a - b).map((memorySize): MemorySizeAdvice => {
    const span = memorySpan(memorySize, batchSize);
    for (const t of iterations) {
      const row = rowAtGap(byIteration.get(t)!, span);
      if (row) {
        return { memorySize, span, drift: row.mean, iteration: t, gap: row.gap, ok: row.mean <= threshold };
      }
    }
    return { memorySize, span, drift: null, iteration: null, gap: null, ok: false };
  });
  const oks = perSize.filter((p) => p.ok).map((p) => p.memorySize);
  return { perSize, largestOk: oks.length > 0 ? Math.max(...oks) : null };
}
