/** The step-time comparison protocol of scripts/bench-train.ts: round schedule, best rounds, ratio, verdict. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestRound, compareBestRounds, MIN_ROUNDS, roundSchedule, TARGET_RATIO, type Round, type Side } from '../../scripts/bench-protocol.js';
import { median } from '../../scripts/bench-utils.js';

/** Hand-made rounds of one batch size, in the order given, with a load average per round. */
function rounds(batch: number, ours: (number | null)[], pytorch: (number | null)[]): Round[] {
  const make = (side: Side, ms: (number | null)[]) => ms.map((msPerStep, i) => ({ batch, side, index: i + 1, msPerStep, loadAtStart: 0.1 * i }));
  return [...make('ours', ours), ...make('pytorch', pytorch)];
}

test('the schedule alternates the sides, at least 3 rounds each, and which side goes first per batch size', () => {
  const s = roundSchedule([64, 16], 3);
  assert.deepEqual(s.map((r) => `${r.batch}:${r.side}:${r.index}`), [
    '64:ours:1', '64:pytorch:1', '64:ours:2', '64:pytorch:2', '64:ours:3', '64:pytorch:3',
    '16:pytorch:1', '16:ours:1', '16:pytorch:2', '16:ours:2', '16:pytorch:3', '16:ours:3',
  ]);
  assert.equal(roundSchedule([64, 16, 32], 4).filter((r) => r.batch === 32)[0].side, 'ours', 'the third batch size starts with ours again');
  assert.equal(roundSchedule([16], 5).length, 10);
  assert.equal(MIN_ROUNDS, 3);
  assert.throws(() => roundSchedule([64], 2), /--rounds must be an integer >= 3 \(got 2\)/);
  assert.throws(() => roundSchedule([64], 3.5), /--rounds must be an integer >= 3/);
  assert.throws(() => roundSchedule([64, 18], 3), /--batches must be .*multiples of 4 from 8.*got 18/);
  assert.throws(() => roundSchedule([Number('x')], 3), /--batches .*got NaN/);
  assert.throws(() => roundSchedule([], 3), /--batches .*got none/);
});

test('a bimodal PyTorch side: best-of fails the target where a median over rounds would pass', () => {
  // PyTorch's one fast round (34 ms) is its undisturbed speed; the two slow ones are the machine.
  const r = rounds(64, [110, 105, 112], [120, 34, 130]);
  const [c] = compareBestRounds(r);
  assert.equal(c.batch, 64);
  assert.equal(c.bestOurs, 105);
  assert.equal(c.bestPytorch, 34);
  assert.ok(Math.abs(c.ratio! - 105 / 34) < 1e-12);
  assert.equal(c.verdict, 'fail');
  // The same rounds summarised by medians give a ratio under 1: the protocol must not do that.
  const medianRatio = median([110, 105, 112]) / median([120, 34, 130]);
  assert.ok(medianRatio < 1 && medianRatio !== c.ratio, `median ratio ${medianRatio}`);
});

test('per batch size, in order of appearance; the target itself passes; failed rounds are skipped; no data without both sides', () => {
  assert.equal(TARGET_RATIO, 3);
  const all = [
    ...rounds(64, [90, 96, 93], [31, 30, 45]),
    ...rounds(16, [27, null, 28], [9, 9.9, 8.5]),
    ...rounds(32, [50, 51, 52], [null, null, null]),
  ];
  const c = compareBestRounds(all);
  assert.deepEqual(c.map((x) => x.batch), [64, 16, 32]);
  assert.deepEqual(c[0], { batch: 64, bestOurs: 90, bestPytorch: 30, ratio: 3, verdict: 'pass' });
  assert.equal(c[1].bestOurs, 27, 'the failed round (null) is not a best of 0 ms');
  assert.equal(c[1].bestPytorch, 8.5);
  assert.equal(c[1].verdict, 'fail');
  assert.deepEqual(c[2], { batch: 32, bestOurs: 50, bestPytorch: null, ratio: null, verdict: 'no data' });
  assert.equal(compareBestRounds(all, 3.2)[1].verdict, 'pass', 'the target is a parameter');
  assert.equal(bestRound(all, 'pytorch', 16), 8.5);
  assert.equal(bestRound(all, 'ours', 128), null);
});
