import type { DriftRow } from '../../src/io/tables.js';

/** A drift row with the stats the policies do not read filled in. */
export function row(iteration: number, gap: number, mean: number): DriftRow {
  return { iteration, gap, mean, median: mean, p90: mean, max: mean, n: 64 };
}

/**
 * Rows at iterations step, 2 step, ... with D(t; gap) = means[i] at the main gap, and decoy gaps:
 * a smaller one with tiny drift and a larger one with huge drift, which a correct lookup never reads.
 */
export function curve(means: number[], opts: { step?: number; gap?: number; small?: number; large?: number } = {}): DriftRow[] {
  const step = opts.step ?? 100;
  const gap = opts.gap ?? 50;
  const rows: DriftRow[] = [];
  means.forEach((m, i) => {
    const t = (i + 1) * step;
    if (opts.small !== undefined) rows.push(row(t, opts.small, m / 100));
    rows.push(row(t, gap, m));
    if (opts.large !== undefined) rows.push(row(t, opts.large, Math.min(4, m * 10 + 1)));
  });
  return rows;
}
