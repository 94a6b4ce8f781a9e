/**
 * The studies' tables: mean ± sample SD over seeds, and Markdown. Pure functions of numbers.
 */
import type { RunOutcome } from './outcome.js';

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The sample standard deviation (n - 1); NaN for fewer than two values. */
export const sd = (xs: readonly number[]) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** "mean ± SD", or the mean alone for one value. */
export const meanPm = (xs: readonly number[], digits: number) => (xs.length < 2 ? mean(xs).toFixed(digits) : `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`);

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The columns `armSummary` fills, after the arm's own label. */
export const SUMMARY_HEADER = ['seeds', 'R@1', 'MAP@R', 'collapsed', 'start', 'ms/it'] as const;

export const collapses = (runs: readonly RunOutcome[]) => runs.filter((r) => r.collapsed).length;

/** One arm's row over its seeds: count, R@1 and MAP@R (mean ± SD), collapses, each seed's start, mean ms/it. */
export function armSummary(runs: readonly RunOutcome[]): string[] {
  return [
    String(runs.length),
    meanPm(runs.map((r) => r.r1), 3),
    meanPm(runs.map((r) => r.mapAtR), 3),
    `${collapses(runs)}/${runs.length}`,
    runs.map((r) => r.start).join(', '),
    mean(runs.map((r) => r.msPerIteration)).toFixed(0),
  ];
}
