import type { DriftRow } from '../../io/tables.js';
import type { DriftPoint } from './types.js';

/**
 * How a policy reads D(t; g) when g itself was not measured: the smallest measured gap >= g at
 * the same iteration t. Drift grows with the gap (features keep moving), so this reads an upper
 * bound of D(t; g): a policy can only start later than an exact measurement would allow, never
 * earlier. Interpolating in log-gap would need a bracketing gap below g at the same t, which
 * snapshot schedules often lack, and a model of how drift scales with the gap, which breaks at
 * learning-rate changes (our lab runs). The evidence lists the gap actually read.
 */
export const GAP_LOOKUP = 'smallest measured gap >= the required gap at the same iteration (an upper bound on D(t; gap))';

/** The row giving D(t; gap) at one iteration per the rule above, or null. */
export function rowAtGap(rowsAtIteration: readonly DriftRow[], gap: number): DriftRow | null {
  let best: DriftRow | null = null;
  for (const r of rowsAtIteration) if (r.gap >= gap && (best === null || r.gap < best.gap)) best = r;
  return best;
}

/** D(t; gap) for every iteration that has a measured gap >= gap, in iteration order. */
export function driftSeries(rows: readonly DriftRow[], gap: number): DriftPoint[] {
  const byIteration = new Map<number, DriftRow>();
  for (const r of rows) {
    if (r.gap < gap) continue;
    const cur = byIteration.get(r.iteration);
    if (cur === undefined || r.gap < cur.gap) byIteration.set(r.iteration, r);
  }
  return [...byIteration.values()]
    .sort((a, b) => a.iteration - b.iteration)
    .map(driftPoint);
}

/**
 * The point a policy reads from a drift row. The scatter fields only when measured: a policy that
 * needs them treats their absence as NaN, and the evidence of the others stays as it was.
 */
export function driftPoint(r: DriftRow): DriftPoint {
  const point: DriftPoint = { iteration: r.iteration, gap: r.gap, drift: r.mean };
  if (Number.isFinite(r.scatter_within)) point.scatterWithin = r.scatter_within;
  if (Number.isFinite(r.scatter_between)) point.scatterBetween = r.scatter_between;
  if (Number.isFinite(r.probe_spread)) point.spread = r.probe_spread;
  return point;
}

/** Distinct measured gaps, ascending. */
export function measuredGaps(rows: readonly DriftRow[]): number[] {
  return [...new Set(rows.map((r) => r.gap))].sort((a, b) => a - b);
}

/** Rows in the order the online evaluator expects: by iteration, then by gap. */
export function sortDriftRows(rows: readonly DriftRow[]): DriftRow[] {
  return [...rows].sort((a, b) => a.iteration - b.iteration || a.gap - b.gap);
}
