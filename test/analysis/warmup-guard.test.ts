import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XbmGuard } from '../../src/analysis/warmup/guard.js';
import { adviseMemorySize } from '../../src/analysis/warmup/memory-advice.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import type { DriftRow } from '../../src/io/tables.js';
import { row } from './warmup-fixtures.js';

test('guard pauses above the high bound and resumes only after W observations at or below the threshold', () => {
  const g = new XbmGuard(0.01); // pause bound 0.04, patience 1, resume window 2
  assert.equal(g.pauseBound, 0.04);
  const seen = [
    [100, 0.005], [200, 0.03], [300, 0.05], [400, 0.03], [500, 0.008], [600, 0.02], [700, 0.009], [800, NaN], [900, 0.007], [1000, 0.05],
  ].map(([t, d]) => g.observe(t, d));
  //            below  band  above    band  below  band(reset) below NaN  below   above
  assert.deepEqual(seen, [null, null, 'pause', null, null, null, null, null, 'resume', 'pause']);
  assert.equal(g.paused, true);
  assert.deepEqual(g.events.map((e) => [e.iteration, e.action, e.bound]), [[300, 'pause', 0.04], [900, 'resume', 0.01], [1000, 'pause', 0.04]]);
  assert.deepEqual(g.events[1].evidence, [{ iteration: 700, driftS: 0.009 }, { iteration: 900, driftS: 0.007 }]);
  assert.equal(g.events[0].reason, msg.guardPause(300, 0.05, 0.04, 1));
  assert.equal(g.events[1].reason,
    'Resumed XBM at iteration 900: D(t; S) = 0.007 stayed at or below the threshold 0.01 for 2 consecutive observations.');
});

test('guard patience, hysteresis band and options', () => {
  const g = new XbmGuard(0.02, { pauseFactor: 2, pausePatience: 2, resumeWindow: 1 });
  assert.deepEqual([0.05, 0.03, 0.05, 0.05, 0.03, 0.021, 0.02].map((d, i) => g.observe(i, d)),
    [null, null, null, 'pause', null, null, 'resume']);
  const paused = new XbmGuard(0.02, { startPaused: true });
  assert.equal(paused.paused, true);
  assert.equal(paused.observe(0, 0.001), null);
  assert.equal(paused.observe(1, 0.001), 'resume');
  assert.throws(() => new XbmGuard(0), { message: msg.guardOutOfRange('threshold', 0, 'in (0, 4]') });
  assert.throws(() => new XbmGuard(0.1, { resumeWindow: 0 }), { message: 'The XBM guard resumeWindow must be an integer >= 1, got 0.' });
});

test('memory-size advice reads the drift over ceil(M/B) iterations after the start', () => {
  // Snapshots every 100 from 100 to 2000 with gaps 20, 50 and 200; drift grows with the gap.
  const rows: DriftRow[] = [];
  for (let t = 100; t <= 2000; t += 100) for (const [gap, d] of [[20, 0.004], [50, 0.01], [200, 0.03]]) rows.push(row(t, gap, d * (t < 1000 ? 10 : 1)));
  const start = 1000;
  const { perSize, largestOk } = adviseMemorySize(rows, start, 64, [10000, 1000, 3000, 20000], 0.015625);
  // spans 16, 47, 157, 313 -> read at gaps 20, 50, 200, none; first t with t - gap >= 1000
  assert.deepEqual(perSize.map((p) => [p.memorySize, p.span, p.gap, p.iteration, p.drift, p.ok]), [
    [1000, 16, 20, 1100, 0.004, true],
    [3000, 47, 50, 1100, 0.01, true],
    [10000, 157, 200, 1200, 0.03, false],
    [20000, 313, null, null, null, false],
  ]);
  assert.equal(largestOk, 3000);
  assert.equal(adviseMemorySize(rows, start, 64, [10000], 0.015625).largestOk, null);
  assert.throws(() => adviseMemorySize(rows, start, 64, [0], 0.01), { message: msg.badContextSize('memory size', 0) });
});
