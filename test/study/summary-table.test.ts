import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armSummary, markdownTable, mean, meanPm, sd } from '../../src/study/summary-table.js';
import { outcome } from './outcomes.js';

test('mean and sample SD against hand-computed values', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  // squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n - 1 = 3
  assert.ok(Math.abs(sd([1, 2, 3, 4]) - Math.sqrt(5 / 3)) < 1e-12);
  assert.ok(Number.isNaN(sd([7])), 'one value has no spread');
  assert.equal(meanPm([0.5, 0.7], 3), '0.600 ± 0.141');
  assert.equal(meanPm([0.5], 3), '0.500', 'one seed: the mean alone');
});

test('markdown table and an arm summary row', () => {
  assert.equal(markdownTable(['a', 'b'], [['1', '2']]), '| a | b |\n|---|---|\n| 1 | 2 |');
  const row = armSummary([outcome(0.5, { start: 'never', msPerIteration: 10 }), outcome(0.7, { collapsed: true, start: '50', msPerIteration: 20 })]);
  assert.deepEqual(row, ['2', '0.600 ± 0.141', '0.300 ± 0.071', '1/2', 'never, 50', '15']);
});
