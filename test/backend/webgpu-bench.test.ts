/** scripts/bench-utils.ts: the load-average guard of the benchmark's ratios to PyTorch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLoad, IDLE_LOAD_LIMIT, loadGuard } from '../../scripts/bench-utils.js';

test('ratios are printed idle, withheld busy, and marked "measured busy" with --allow-busy', () => {
  assert.equal(IDLE_LOAD_LIMIT, 0.5);
  assert.deepEqual({ ...loadGuard(0.12, false), line: '' }, { ratios: true, busy: false, line: '' });
  assert.match(loadGuard(0.12, false).line, /^measured idle \(1-minute load average at start 0\.12 <= 0\.5\)$/);
  assert.equal(loadGuard(0.5, false).ratios, true, 'the limit itself counts as idle');
  const refused = loadGuard(0.51, false);
  assert.equal(refused.ratios, false);
  assert.equal(refused.busy, true);
  assert.match(refused.line, /withheld: 1-minute load average at start 0\.51 > 0\.5;.*--allow-busy/);
  const allowed = loadGuard(3.4, true);
  assert.equal(allowed.ratios, true);
  assert.equal(allowed.busy, true);
  assert.match(allowed.line, /^measured busy \(1-minute load average at start 3\.40 > 0\.5, --allow-busy\)/);
  assert.equal(loadGuard(0.8, false, 1).ratios, true);
  assert.equal(formatLoad([0.1234, 1, 2.5]), '0.12 1.00 2.50');
});
