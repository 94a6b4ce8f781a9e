import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotIterations, snapshotSchedule } from '../../src/config/snapshot-schedule.js';
import { MAX_ITERATIONS, resolveTrainConfig } from '../../src/config/train-config.js';
import { snapshotFileName } from '../../src/io/run-paths.js';

/** The schedule from its definition: every `every` iterations, each offset before it, and the last iteration. */
function naiveSchedule(every: number, offsets: readonly number[], iterations: number): number[] {
  if (every <= 0) return [];
  const out: number[] = [];
  for (let t = 0; t <= iterations; t++) {
    const main = t % every === 0 || t === iterations;
    const companion = offsets.some((g) => g > 0 && g < every && (t + g) % every === 0 && t + g <= iterations);
    if (main || companion) out.push(t);
  }
  return out;
}

test('the snapshot schedule, listed and as a membership test, matches its definition', () => {
  for (const every of [0, 1, 2, 3, 5, 10, 50]) {
    for (const offsets of [[], [1], [10], [1, 3], [3, 1, 1], [0, 2]]) {
      for (const iterations of [0, 1, 7, 10, 49, 50, 51, 103]) {
        const want = naiveSchedule(every, offsets, iterations);
        assert.deepEqual(snapshotIterations(every, offsets, iterations), want, `${every} ${offsets} ${iterations}`);
        const s = snapshotSchedule(every, offsets, iterations);
        for (let t = -2; t <= iterations + 3; t++) assert.equal(s.has(t), want.includes(t), `${every} ${offsets} ${iterations}: ${t}`);
      }
    }
  }
});

test('a long run needs no set of its snapshots: membership answers in constant memory, and the listing stays in order', () => {
  const s = snapshotSchedule(50, [10], MAX_ITERATIONS);
  assert.equal(s.has(999_950), true);
  assert.equal(s.has(999_940), true);
  assert.equal(s.has(MAX_ITERATIONS), true, 'the last iteration');
  assert.equal(s.has(999_951), false);
  const all = snapshotIterations(1, [], MAX_ITERATIONS);
  assert.equal(all.length, MAX_ITERATIONS + 1);
});

test('--iterations is bounded by the six digits of the snapshot file names: up to the bound they list in iteration order', () => {
  const byName = (iterations: number[]) => iterations.map(snapshotFileName).sort().map((n) => Number(/\d+/.exec(n)![0]));
  assert.deepEqual(byName([MAX_ITERATIONS, 200_000, 5]), [5, 200_000, MAX_ITERATIONS]);
  assert.notDeepEqual(byName([MAX_ITERATIONS + 1, 200_000]), [200_000, MAX_ITERATIONS + 1], 'one more iteration would list out of order');
  assert.equal(resolveTrainConfig({ out: '/tmp/xbm-drift-unused', iterations: MAX_ITERATIONS }).iterations, MAX_ITERATIONS);
  assert.throws(() => resolveTrainConfig({ out: '/tmp/xbm-drift-unused', iterations: MAX_ITERATIONS + 1 }), /at most 999,999 iterations/);
});
