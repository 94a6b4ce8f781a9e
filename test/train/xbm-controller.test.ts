import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseTrainConfig, resolveTrainConfig } from '../../src/config/train-config.js';
import { XbmController } from '../../src/train/xbm-controller.js';

const config = (extra: Record<string, unknown>) =>
  resolveTrainConfig({ out: '/tmp/unused', classesPerBatch: 8, perClass: 4, xbmSize: 320, ...extra });
const row = (iteration: number, gap: number, mean: number) => ({ iteration, gap, mean, median: mean, p90: mean, max: mean, n: 10 });

test('a fixed start switches XBM on exactly after N steps', () => {
  const c = new XbmController(config({ xbmStart: '30' }));
  assert.equal(c.span, 10); // ceil(320 / 32)
  for (let t = 0; t < 30; t++) assert.equal(c.startsAt(t), false);
  assert.deepEqual(c.flags(), { enqueue: false, memoryLoss: false });
  assert.equal(c.startsAt(30), true);
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: true });
  assert.equal(c.startIteration, 30);
  assert.equal(c.startsAt(31), false);
});

test('auto: the staleness policy fires after W snapshots under the threshold, with its evidence', () => {
  const c = new XbmController(config({ xbmStart: 'auto:staleness:threshold=0.1,window=2' }));
  assert.equal(c.driftGap(), 10);
  assert.equal(c.observeDrift(row(10, 10, 0.5)), false);
  assert.equal(c.observeDrift(row(20, 10, 0.09)), false);
  assert.equal(c.observeDrift(row(30, 10, 0.08)), true);
  assert.equal(c.startIteration, 30);
  const d = c.warmupDecision!;
  assert.equal(d.start, 30);
  assert.equal(d.evidence.threshold, 0.1);
  assert.deepEqual(d.evidence.drift.map((p) => p.drift), [0.5, 0.09, 0.08]);
  assert.equal(c.events[0].kind, 'xbm-start');
});

test('auto that never fires leaves XBM off', () => {
  const c = new XbmController(config({ xbmStart: 'auto' }));
  for (let t = 10; t <= 100; t += 10) assert.equal(c.observeDrift(row(t, 10, 0.3)), false);
  assert.equal(c.startIteration, null);
  assert.deepEqual(c.flags(), { enqueue: false, memoryLoss: false });
});

test('after the start, drift over the threshold is flagged and the guard pauses and resumes the memory loss', () => {
  const c = new XbmController(config({ xbmStart: '0', xbmGuard: true, margin: 0.4 }));
  assert.ok(Math.abs(c.threshold - 0.01) < 1e-12); // (0.4 / 4)^2
  c.startsAt(0);
  c.observeDrift(row(10, 10, 0.005));
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: true });
  c.observeDrift(row(20, 10, 0.5)); // > 4 x threshold: pause, keep enqueuing
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: false });
  c.observeDrift(row(30, 10, 0.009));
  assert.equal(c.isPaused, true); // one observation under the threshold is not enough
  c.observeDrift(row(40, 10, 0.008));
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: true });
  assert.deepEqual(c.events.map((e) => e.kind), ['xbm-start', 'drift-over-threshold', 'xbm-pause', 'drift-back-under-threshold', 'xbm-resume']);
});

test('the controller takes the typed policy from the config; its drift budget is the policy\'s, else the margin-derived one', () => {
  const typed = config({ xbmStart: 'auto:staleness:threshold=0.2,window=1' });
  assert.deepEqual(typed.xbm.start, { kind: 'auto', policy: { kind: 'staleness', window: 1, threshold: 0.2 } });
  assert.equal(new XbmController(typed).threshold, 0.2);
  assert.equal(new XbmController(config({ xbmStart: 'auto:plateau' })).threshold, (0.5 / 4) ** 2);
  // multi-similarity has no margin: its base lambda is the similarity scale.
  const ms = config({ xbmStart: 'auto', loss: 'multi-similarity' });
  assert.equal(new XbmController({ ...ms, loss: { ...ms.loss, base: 0.8 } as typeof ms.loss }).threshold, (0.8 / 4) ** 2);
});

test('a config.json written with the policy as text drives the controller after normaliseTrainConfig', () => {
  const c = config({ xbmStart: 'auto' });
  const old = JSON.parse(JSON.stringify({ ...c, xbm: { ...c.xbm, start: { kind: 'auto', policy: 'staleness:threshold=0.1,window=2' } } }));
  const x = new XbmController(normaliseTrainConfig(old));
  x.observeDrift(row(10, 10, 0.05));
  assert.equal(x.observeDrift(row(20, 10, 0.05)), true);
  assert.equal(x.warmupDecision!.policy, 'staleness');
  assert.equal(x.threshold, 0.1);
});
