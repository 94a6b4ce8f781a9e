/**
 * Stage A's choices: which XBM configurations the screen passes on to the repeats, and which of
 * those stage B uses. Pure functions of the finished runs.
 */
import { sameArm, type Arm } from './arms.js';
import type { RunOutcome } from './outcome.js';
import { mean } from './summary-table.js';

/** One finished run of an arm. */
export interface ArmRun {
  arm: Arm;
  seed: number;
  outcome: RunOutcome;
}

export const runsOf = <R extends ArmRun>(runs: readonly R[], arm: Arm): R[] => runs.filter((r) => sameArm(r.arm, arm));
export const meanR1 = (runs: readonly ArmRun[]) => mean(runs.map((r) => r.outcome.r1));

/** The `count` XBM arms of the screen with the highest R@1 (one seed each); ties keep the screen's order. */
export function bestScreened(screen: readonly ArmRun[], count = 2): Arm[] {
  return screen
    .filter((r) => r.arm.adapt !== null)
    .sort((a, b) => b.outcome.r1 - a.outcome.r1)
    .slice(0, count)
    .map((r) => r.arm);
}

/** The candidate with the highest mean R@1 over its repeated seeds; a tie keeps the first. */
export function bestByMean(candidates: readonly Arm[], repeats: readonly ArmRun[]): Arm {
  return [...candidates].sort((a, b) => meanR1(runsOf(repeats, b)) - meanR1(runsOf(repeats, a)))[0];
}
