/**
 * The acceptance test of a start policy in one regime (issue 22), over its seeds:
 *   - its mean R@1 is at most 1 point (0.01) below the best fixed start's;
 *   - no seed collapsed;
 *   - no pass by abstaining: where the best fixed start beats no XBM by more than 1 point, XBM
 *     must have started in every seed (a policy that never starts would otherwise pass wherever
 *     XBM adds little).
 */
import { started, type RunOutcome } from './outcome.js';
import { collapses, mean } from './summary-table.js';

/** One point of R@1. */
export const POINT = 0.01;
/** Float slack, so a shortfall of exactly one point (0.50 vs 0.51) passes as the rule says. */
const EPS = 1e-9;

export interface FixedStartRuns {
  start: string;
  runs: readonly RunOutcome[];
}

/** The fixed start with the highest mean R@1; a tie keeps the earliest listed. */
export function bestFixedStart(fixed: readonly FixedStartRuns[]): { start: string; r1: number } {
  return fixed.map((f) => ({ start: f.start, r1: mean(f.runs.map((r) => r.r1)) })).reduce((a, b) => (b.r1 > a.r1 ? b : a));
}

export interface Acceptance {
  r1: number;
  /** mean R@1 minus the best fixed start's, in points (negative: below it) */
  points: number;
  collapsed: number;
  /** seeds in which XBM started */
  started: number;
  seeds: number;
  /** XBM beats no XBM by more than a point here, so every seed must start it */
  mustStart: boolean;
  pass: boolean;
  /** why it failed, in words; empty when it passed */
  failures: string[];
}

export function acceptance(policy: readonly RunOutcome[], best: { r1: number }, noXbm: readonly RunOutcome[]): Acceptance {
  const r1 = mean(policy.map((r) => r.r1));
  const points = (r1 - best.r1) / POINT;
  const collapsed = collapses(policy);
  const startedSeeds = policy.filter(started).length;
  const mustStart = (best.r1 - mean(noXbm.map((r) => r.r1))) / POINT > 1 + EPS;
  const failures = [
    ...(!Number.isFinite(points) ? ['no R@1 to compare'] : points >= -1 - EPS ? [] : [`${(-points).toFixed(2)} points below the best fixed start`]),
    ...(collapsed === 0 ? [] : [`${collapsed} seed(s) collapsed`]),
    ...(!mustStart || startedSeeds === policy.length ? [] : [`started XBM in ${startedSeeds} of ${policy.length} seeds where XBM gains more than a point`]),
  ];
  const pass = policy.length > 0 && failures.length === 0;
  return { r1, points, collapsed, started: startedSeeds, seeds: policy.length, mustStart, pass, failures };
}
