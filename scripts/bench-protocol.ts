/**
 * The protocol of the step-time comparison with PyTorch (scripts/bench-train.ts): alternating
 * rounds of each side, each a fresh process, compared best round against best round.
 *
 * Why best-of: on a virtual machine PyTorch's step time is bimodal between runs of the same
 * command (batch 64, 2 threads: 31-48 ms or 102-140 ms) while ours varies by about 5%, so one pair
 * of medians, or a median over rounds, measures the machine's state rather than the code. The
 * fastest round of each side is the closest either gets to its undisturbed speed.
 */

export type Side = 'ours' | 'pytorch';

/** Fewer rounds per side cannot tell a bimodal side from a steady one. */
export const MIN_ROUNDS = 3;

/** ours / PyTorch at most this (issue 13, unchanged by issue 23). */
export const TARGET_RATIO = 3;

export interface ScheduledRound {
  batch: number;
  side: Side;
  /** 1-based, per side and batch size */
  index: number;
}

export interface Round extends ScheduledRound {
  /** median ms per step of the round's measured steps; null when the round failed */
  msPerStep: number | null;
  /** 1-minute load average when the round started */
  loadAtStart: number;
}

export interface Comparison {
  batch: number;
  bestOurs: number | null;
  bestPytorch: number | null;
  /** bestOurs / bestPytorch; null without a round of each side */
  ratio: number | null;
  verdict: 'pass' | 'fail' | 'no data';
}

/**
 * The order of the rounds: per batch size (in the order given), `rounds` rounds of each side,
 * alternating; the side that goes first alternates between batch sizes, so neither side always
 * runs right after the other one heated the machine.
 */
export function roundSchedule(batches: readonly number[], rounds: number): ScheduledRound[] {
  if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS) throw new Error(`--rounds must be an integer >= ${MIN_ROUNDS} (got ${rounds}): fewer cannot tell a bimodal side from a steady one`);
  const bad = batches.find((b) => !Number.isInteger(b) || b < 8 || b % 4 !== 0);
  if (bad !== undefined || batches.length === 0) throw new Error(`--batches must be a comma-separated list of multiples of 4 from 8 (P x K batches, 4 per class; got ${bad ?? 'none'})`);
  const out: ScheduledRound[] = [];
  batches.forEach((batch, b) => {
    const order: Side[] = b % 2 === 0 ? ['ours', 'pytorch'] : ['pytorch', 'ours'];
    for (let index = 1; index <= rounds; index++) for (const side of order) out.push({ batch, side, index });
  });
  return out;
}

/** The fastest successful round of one side at one batch size, or null when it has none. */
export function bestRound(rounds: readonly Round[], side: Side, batch: number): number | null {
  const ms = rounds.filter((r) => r.side === side && r.batch === batch && r.msPerStep !== null).map((r) => r.msPerStep!);
  return ms.length ? Math.min(...ms) : null;
}

/** Per batch size (in the order of first appearance): best round of each side, their ratio, and the verdict against `target`. */
export function compareBestRounds(rounds: readonly Round[], target = TARGET_RATIO): Comparison[] {
  return [...new Set(rounds.map((r) => r.batch))].map((batch) => {
    const bestOurs = bestRound(rounds, 'ours', batch);
    const bestPytorch = bestRound(rounds, 'pytorch', batch);
    const ratio = bestOurs !== null && bestPytorch !== null ? bestOurs / bestPytorch : null;
    return { batch, bestOurs, bestPytorch, ratio, verdict: ratio === null ? 'no data' : ratio <= target ? 'pass' : 'fail' };
  });
}
