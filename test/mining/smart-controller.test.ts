import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmartController } from '../../src/mining/smart-controller.js';

const settings = { window: 4, low: 0.1, high: 0.5, min: 4, max: 64 };

/** Feed a scripted signal from iteration `from`; returns the adjustments by iteration. */
function run(c: SmartController, signal: number[], from = 1) {
  const out: Record<number, string> = {};
  signal.forEach((v, i) => {
    const a = c.observe(from + i, v);
    if (a) out[a.iteration] = `${a.kind} ${a.from}->${a.to}`;
  });
  return out;
}

test('the controller halves k when batches are too easy, doubles it when too hard, holds it in the band, within [min, max]', () => {
  const c = new SmartController(settings, true, 16);
  const signal = [
    0.05, 0.05, 0.05, 0.05, // mean 0.05 < 0.1: harder, 16 -> 8
    0.3, 0.3, 0.3, 0.3, //     in band: no change
    0.02, 0.02, 0.02, 0.02, // harder, 8 -> 4
    0.0, 0.0, 0.0, 0.0, //     harder, but at min: no adjustment
    0.9, 0.9, 0.9, 0.9, //     too hard: 4 -> 8
    0.8, 0.2, 0.9, 0.9, //     mean 0.7 > 0.5: 8 -> 16
  ];
  assert.deepEqual(run(c, signal), { 4: 'smart-harder 16->8', 12: 'smart-harder 8->4', 20: 'smart-easier 4->8', 24: 'smart-easier 8->16' });
  assert.equal(c.neighbours, 16);
  assert.equal(c.history.length, 4);
  assert.match(c.history[0].reason, /0\.050 < 0\.1 over iterations 1-4: neighbourhood 16 -> 8/);
  assert.match(c.history[2].reason, /> 0\.5 over iterations 17-20/);
});

test('the controller state round-trips (a resumed run adjusts at the same iterations) and off means k stays', () => {
  const signal = Array.from({ length: 30 }, (_, i) => (i < 12 ? 0.01 : 0.95));
  const straight = new SmartController(settings, true, 32);
  const all = run(straight, signal);
  const first = new SmartController(settings, true, 32);
  const part1 = run(first, signal.slice(0, 10));
  const resumed = new SmartController(settings, true, JSON.parse(JSON.stringify(first.snapshot())));
  assert.deepEqual({ ...part1, ...run(resumed, signal.slice(10), 11) }, all);
  assert.equal(resumed.neighbours, straight.neighbours);
  const off = new SmartController(settings, false, 32);
  assert.deepEqual(run(off, signal), {});
  assert.equal(off.neighbours, 32);
});
