import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWarmup, assertEvaluable } from '../../src/analysis/warmup/decide.js';
import { OnlineWarmup } from '../../src/analysis/warmup/online.js';
import { defaultDriftThreshold, memorySpan } from '../../src/analysis/warmup/threshold.js';
import { driftSeries, rowAtGap } from '../../src/analysis/warmup/drift-at-gap.js';
import { relativeChange } from '../../src/analysis/warmup/policies/plateau.js';
import type { WarmupContext, WarmupPolicyConfig } from '../../src/analysis/warmup/types.js';
import type { DriftRow } from '../../src/io/tables.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { curve, row } from './warmup-fixtures.js';

// M = 3000, B = 64: S = ceil(46.875) = 47, not a measured gap; the smallest measured gap >= 47 is 50.
const ctx: WarmupContext = { memorySize: 3000, batchSize: 64, margin: 0.5, lossKind: 'contrastive' };
const staleness = (extra: Partial<{ threshold: number; window: number }> = {}): WarmupPolicyConfig =>
  ({ kind: 'staleness', window: 3, ...extra });

//               100  200  300  400   500    600   700   800    900    1000
const DECAY = [0.5, 0.3, 0.1, 0.02, 0.012, 0.03, 0.01, 0.009, 0.008, 0.007];

test('memory span and the margin-derived threshold', () => {
  assert.equal(memorySpan(3000, 64), 47);
  assert.equal(memorySpan(3200, 64), 50);
  assert.equal(defaultDriftThreshold(ctx).threshold, 0.015625); // (0.5 / 4)^2
  assert.ok(Math.abs(defaultDriftThreshold({ margin: 0.1, lossKind: 'triplet' }).threshold - 0.000625) < TOL.exact);
  const ms = defaultDriftThreshold({ margin: NaN, lossKind: 'multi-similarity' });
  assert.equal(ms.threshold, 0.015625);
  assert.match(ms.derivation, /base lambda 0\.5 of the multi-similarity loss/);
  assert.match(defaultDriftThreshold({ margin: NaN, lossKind: 'contrastive' }).derivation, /assumed margin 0\.5/);
});

test('D(t; S) is read at the smallest measured gap >= S at the same iteration', () => {
  const at = [row(500, 20, 0.001), row(500, 100, 0.3), row(500, 50, 0.02), row(500, 500, 1)];
  assert.equal(rowAtGap(at, 47)!.gap, 50);
  assert.equal(rowAtGap(at, 50)!.gap, 50); // an exact measurement is used as is
  assert.equal(rowAtGap(at, 51)!.gap, 100);
  assert.equal(rowAtGap(at, 501), null);
  const series = driftSeries([...at, row(600, 100, 0.2), row(400, 20, 0.5)], 47);
  assert.deepEqual(series, [{ iteration: 500, gap: 50, drift: 0.02 }, { iteration: 600, gap: 100, drift: 0.2 }]);
});

test('staleness fires at the last of W consecutive snapshots at or below the threshold', () => {
  const d = decideWarmup(curve(DECAY, { small: 20, large: 100 }), staleness(), ctx);
  // 500 is below, 600 breaks the run, 700/800/900 complete it.
  assert.equal(d.start, 900);
  assert.equal(d.policy, 'staleness');
  assert.deepEqual(d.evidence.firedAt, [700, 800, 900]);
  assert.equal(d.evidence.memorySpan, 47);
  assert.equal(d.evidence.gap, 47);
  assert.deepEqual(d.evidence.gapsUsed, [50]);
  assert.equal(d.evidence.threshold, 0.015625);
  assert.match(d.evidence.thresholdDerivation, /contrastive margin 0\.5/);
  assert.deepEqual(d.evidence.drift.map((p) => p.drift), DECAY.slice(0, 9));
  assert.equal(d.evidence.shortfall, null);
  assert.deepEqual(d.parameters, { threshold: 0.015625, window: 3, gap: 47, thresholdSource: 'margin' });
  assert.equal(d.reason, msg.stalenessFired(900, 'D(t; S=47), read at measured gap 50,', 0.015625, 3, 700));
});

test('staleness: window 1, an explicit threshold, and a NaN drift that breaks the run', () => {
  assert.equal(decideWarmup(curve(DECAY), staleness({ window: 1 }), ctx).start, 500);
  assert.equal(decideWarmup(curve([0.02, 0.015625]), staleness({ window: 1 }), ctx).start, 200); // 'at or below'
  const loose = decideWarmup(curve(DECAY), staleness({ threshold: 0.05 }), ctx);
  assert.equal(loose.start, 600); // 400, 500, 600 are all <= 0.05
  assert.equal(loose.parameters.thresholdSource, 'given');
  const withNaN = [...DECAY];
  withNaN[7] = NaN; // iteration 800
  assert.equal(decideWarmup(curve(withNaN), staleness(), ctx).start, null);
  assert.equal(decideWarmup(curve([...withNaN, 0.001]), staleness(), ctx).start, 1100);
});

test('staleness that never fires says how far the drift still is', () => {
  const d = decideWarmup(curve([0.4, 0.2, 0.01, 0.05, 0.04, 0.05]), staleness(), ctx);
  assert.equal(d.start, null);
  assert.deepEqual(d.evidence.firedAt, []);
  const s = d.evidence.shortfall!;
  assert.equal(s.lastIteration, 600);
  assert.equal(s.lastValue, 0.05);
  assert.equal(s.target, 0.015625);
  assert.ok(Math.abs(s.ratio! - 3.2) < TOL.exact);
  assert.ok(Math.abs(s.excess! - 0.034375) < TOL.exact);
  assert.equal(s.consecutive, 0);
  assert.equal(s.window, 3);
  assert.deepEqual(s.best, { iteration: 300, value: 0.01 });
  assert.equal(d.reason, msg.stalenessNotReached('D(t; S=47), read at measured gap 50,', 0.015625, 3, s));
  assert.match(d.reason, /last value 0\.05 at iteration 600 is 3\.2x the threshold/);
});

test('plateau fires when (max - min) / mean over the window falls to the target', () => {
  assert.ok(Math.abs(relativeChange([0.2, 0.19, 0.185]) - 0.015 / (0.575 / 3)) < TOL.exact);
  assert.equal(relativeChange([0, 0, 0]), 0);
  assert.equal(relativeChange([0.1, NaN]), Infinity);
  // Windows of 3: 1.29, 0.95, 0.28, 0.078 <= 0.1 -> fires at the 6th snapshot (600).
  const means = [1.0, 0.5, 0.25, 0.2, 0.19, 0.185, 0.18];
  const d = decideWarmup(curve(means, { gap: 47 }), { kind: 'plateau', relativeChange: 0.1, window: 3 }, ctx);
  assert.equal(d.start, 600);
  assert.deepEqual(d.evidence.firedAt, [400, 500, 600]);
  assert.equal(d.evidence.relativeChanges!.length, 4);
  assert.match(d.reason, /its level 0\.185 is 11\.84x the margin-derived threshold 0\.015625/);
  // An explicit gap: read at 100 instead of S.
  const g = decideWarmup([...curve(means, { gap: 47 }), ...curve(means.map(() => 0.5), { gap: 100 })],
    { kind: 'plateau', relativeChange: 0.1, window: 3, gap: 100 }, ctx);
  assert.equal(g.start, 300);
  assert.deepEqual(g.evidence.gapsUsed, [100]);
});

test('plateau that never fires reports the last relative change', () => {
  const zigzag = [0.1, 0.3, 0.1, 0.3, 0.1, 0.3];
  const d = decideWarmup(curve(zigzag, { gap: 47 }), { kind: 'plateau', relativeChange: 0.1, window: 2 }, ctx);
  assert.equal(d.start, null);
  assert.equal(d.evidence.shortfall!.lastIteration, 600);
  assert.ok(Math.abs(d.evidence.shortfall!.lastValue! - 1) < TOL.exact); // (0.3 - 0.1) / 0.2
  assert.match(d.reason, /changed by 100%, 10x the target/);
});

test('fixed starts where configured, with or without drift, and reports drift there', () => {
  const d = decideWarmup(curve(DECAY), { kind: 'fixed', start: 1000 }, ctx);
  assert.equal(d.start, 1000);
  assert.deepEqual(d.parameters, { start: 1000 });
  assert.equal(d.evidence.threshold, null);
  assert.equal(d.evidence.drift.length, 9); // drift from before the start only
  assert.match(d.reason, /fixed iteration 1000, as configured; D\(t; S=47\), read at measured gap 50, was 0\.008 at iteration 900, the last snapshot before it, 0\.512x/);
  const none = decideWarmup([], { kind: 'fixed', start: 300 }, ctx);
  assert.equal(none.start, 300);
  assert.match(none.reason, /no drift D\(t; S=47\) was measured before it/);
});

test('online and offline agree, whatever the row order and extra gaps', () => {
  const rng = new Rng(5);
  const policies: WarmupPolicyConfig[] = [
    staleness(), staleness({ window: 2, threshold: 0.02 }),
    { kind: 'plateau', relativeChange: 0.2, window: 3 }, { kind: 'fixed', start: 450 },
  ];
  const outcomes = new Set<string>();
  for (let trial = 0; trial < 20; trial++) {
    const floor = trial % 2 === 0 ? 0 : 0.02 + 0.01 * rng.next(); // odd trials stay above 0.015625
    const means = Array.from({ length: 15 }, (_, i) => floor + Math.exp(-i / 3) * (0.5 + rng.next()) * 0.3);
    const rows = curve(means, { small: 20, large: 100 });
    for (const cfg of policies) {
      const offline = decideWarmup(rng.shuffle([...rows]), cfg, ctx);
      const online = new OnlineWarmup(cfg, ctx);
      let first: ReturnType<OnlineWarmup['observe']> = null;
      // The trainer feeds only the gap it needs, in iteration order.
      for (const r of rows.filter((r) => r.gap === 50)) first ??= online.observe(r);
      assert.deepEqual(cfg.kind === 'fixed' ? online.conclude() : online.current(), offline, `${cfg.kind} trial ${trial}`);
      assert.equal(first?.start ?? null, cfg.kind === 'fixed' ? 450 : offline.start);
      outcomes.add(`${cfg.kind}:${offline.start === null ? 'never' : 'fired'}`);
    }
  }
  // The random curves exercise both outcomes of the drift-based policies.
  for (const o of ['staleness:fired', 'staleness:never', 'plateau:fired', 'plateau:never']) assert.ok(outcomes.has(o), o);
});

test('online: requiredGap is S, smaller gaps and repeated iterations are ignored, the decision sticks', () => {
  const online = new OnlineWarmup(staleness({ window: 2 }), ctx);
  assert.equal(online.requiredGap(), 47);
  assert.equal(online.observe(row(100, 20, 0.001)), null); // gap 20 < 47: ignored
  assert.equal(online.observe(row(100, 47, 0.01)), null);
  assert.equal(online.observe(row(100, 100, 0.5)), null); // iteration 100 already evaluated
  const d = online.observe(row(200, 47, 0.01));
  assert.equal(d?.start, 200);
  assert.equal(online.observe(row(300, 47, 3)), d);
  assert.equal(online.decision, d);
  assert.deepEqual(d!.evidence.drift, [{ iteration: 100, gap: 47, drift: 0.01 }, { iteration: 200, gap: 47, drift: 0.01 }]);
});

test('too little data: the error names the gap and the command', () => {
  const err = (rows: DriftRow[], cfg: WarmupPolicyConfig) => () => decideWarmup(rows, cfg, ctx);
  assert.throws(err(curve(DECAY, { gap: 20 }), staleness()), {
    name: 'UserError', message: msg.noDriftAtGap('staleness', 47, 47, [20], '<run>'),
  });
  assert.equal(msg.noDriftAtGap('staleness', 47, 47, [20], 'runs/a'),
    'The staleness policy reads drift at a gap of at least 47 (memory span S = 47), but drift.csv only has gaps 20: compute it with `xbm-drift drift runs/a --gaps 47`.');
  assert.throws(err([], staleness()), { message: msg.noDriftAtGap('staleness', 47, 47, [], '<run>') });
  assert.throws(err(curve([0.01, 0.01]), staleness()), { message: msg.tooFewSnapshots('staleness', 47, 2, 3, '<run>') });
  const online = new OnlineWarmup(staleness(), { ...ctx, snapshotIterations: [0, 100, 200] });
  assert.throws(() => assertEvaluable(curve([0.01, 0.01]), online, 'runs/a'), {
    message: 'The staleness policy needs drift at a gap of at least 47 at 3 snapshots or more, but drift.csv has it at 2 (the run has 3 snapshots): train longer or snapshot more often, then run `xbm-drift drift runs/a --gaps 47`.',
  });
  assert.throws(() => new OnlineWarmup(staleness(), { ...ctx, batchSize: 0 }), { message: msg.badContextSize('batch size', 0) });
});
