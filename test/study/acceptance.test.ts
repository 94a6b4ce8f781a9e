/** The acceptance rule of issue 22 on hand-made tables (R@1 per seed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptance, bestFixedStart } from '../../src/study/acceptance.js';
import { outcome } from './outcomes.js';

const seeds = (...r1: number[]) => r1.map((r) => outcome(r));

test('the best fixed start is the one with the highest mean; a tie keeps the earliest', () => {
  const best = bestFixedStart([
    { start: '50', runs: seeds(0.6, 0.62) },
    { start: '100', runs: seeds(0.62, 0.6) },
    { start: '150', runs: seeds(0.5, 0.5) },
  ]);
  assert.equal(best.start, '50');
  assert.ok(Math.abs(best.r1 - 0.61) < 1e-12);
  assert.equal(bestFixedStart([{ start: '50', runs: seeds(0.6) }, { start: '100', runs: seeds(0.7) }]).start, '100');
});

test('within a point of the best fixed start, no collapse, started everywhere: passes', () => {
  const a = acceptance(seeds(0.60, 0.61, 0.62), { r1: 0.615 }, seeds(0.55, 0.55, 0.55));
  assert.equal(a.pass, true, a.failures.join('; '));
  assert.ok(Math.abs(a.points - -0.5) < 1e-9);
  assert.deepEqual([a.collapsed, a.started, a.seeds, a.mustStart], [0, 3, 3, true]);
});

test('the 1-point boundary: exactly 1 point below passes, 1.01 points fails', () => {
  // 0.50 - 0.51 is -0.010000000000000009 in floats: exactly one point, which the rule allows.
  assert.equal(acceptance(seeds(0.5, 0.5, 0.5), { r1: 0.51 }, seeds(0.5, 0.5, 0.5)).pass, true);
  const below = acceptance(seeds(0.4999, 0.4999, 0.4999), { r1: 0.51 }, seeds(0.5, 0.5, 0.5));
  assert.equal(below.pass, false);
  assert.match(below.failures.join(), /1\.01 points below the best fixed start/);
});

test('one collapsed seed fails, however good the mean', () => {
  const a = acceptance([outcome(0.7), outcome(0.7), outcome(0.7, { collapsed: true })], { r1: 0.6 }, seeds(0.5));
  assert.equal(a.pass, false);
  assert.deepEqual(a.failures, ['1 seed(s) collapsed']);
});

test('no pass by abstaining: where XBM gains more than a point, a seed that never started fails the policy', () => {
  // no XBM 0.50, best fixed start 0.52 (2 points better): the mean is within a point, but seed 3 never started.
  const runs = [outcome(0.52), outcome(0.53), outcome(0.5, { start: 'never' })];
  const a = acceptance(runs, { r1: 0.52 }, seeds(0.5, 0.5, 0.5));
  assert.equal(a.mustStart, true);
  assert.ok(a.points > -1);
  assert.equal(a.pass, false);
  assert.deepEqual(a.failures, ['started XBM in 2 of 3 seeds where XBM gains more than a point']);
});

test('where XBM gains at most a point, abstaining is allowed (the policy matches the best arm by staying off)', () => {
  const never = seeds(0.5, 0.5, 0.5).map((o) => ({ ...o, start: 'never' }));
  // gain of exactly one point: not "more than 1 point"
  const a = acceptance(never, { r1: 0.51 }, seeds(0.5, 0.5, 0.5));
  assert.equal(a.mustStart, false);
  assert.equal(a.started, 0);
  assert.equal(a.pass, true, a.failures.join('; '));
});

test('a policy without R@1 (no evaluation) does not pass', () => {
  assert.equal(acceptance(seeds(NaN), { r1: 0.5 }, seeds(0.5)).pass, false);
  assert.equal(acceptance([], { r1: 0.5 }, seeds(0.5)).pass, false);
});
