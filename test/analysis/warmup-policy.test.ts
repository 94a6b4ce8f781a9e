import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { OnlineWarmup } from '../../src/analysis/warmup/online.js';
import { formatWarmupPolicy, parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { WARMUP_POLICIES, WARMUP_POLICY_KINDS } from '../../src/analysis/warmup/policies/index.js';

test('policy specs parse to configs with defaults', () => {
  assert.deepEqual(parseWarmupPolicy('staleness'), { kind: 'staleness', window: 3 });
  assert.deepEqual(parseWarmupPolicy(' staleness:threshold=0.05,window=3 '), { kind: 'staleness', window: 3, threshold: 0.05 });
  assert.deepEqual(parseWarmupPolicy('plateau'), { kind: 'plateau', relativeChange: 0.1, window: 3 });
  assert.deepEqual(parseWarmupPolicy('plateau:relative-change=0.2,window=4,gap=100'),
    { kind: 'plateau', relativeChange: 0.2, window: 4, gap: 100 });
  assert.deepEqual(parseWarmupPolicy('fixed:1000'), { kind: 'fixed', start: 1000 });
  assert.deepEqual(parseWarmupPolicy('fixed:start=0'), { kind: 'fixed', start: 0 });
});

test('bad specs get exact messages', () => {
  const cases: [string, string][] = [
    ['bogus', "Unknown warm-up policy 'bogus': use staleness, plateau, scatter, trial or fixed:<iteration>, e.g. staleness:threshold=0.02,window=3."],
    ['fixed', 'The fixed policy needs a start iteration, e.g. fixed:1000.'],
    ['fixed:abc', "The fixed start must be a number, got 'abc'."],
    ['fixed:-5', 'The fixed start must be an integer >= 0, got -5.'],
    ['fixed:12.5', 'The fixed start must be an integer >= 0, got 12.5.'],
    ['staleness:threshold=0', 'The staleness threshold must be in (0, 4] (the drift of unit vectors is at most 4), got 0.'],
    ['staleness:threshold=5', 'The staleness threshold must be in (0, 4] (the drift of unit vectors is at most 4), got 5.'],
    ['staleness:threshold=', "The staleness threshold must be a number, got ''."],
    ['staleness:window=0', 'The staleness window must be an integer >= 1, got 0.'],
    ['staleness:foo=1', "The staleness policy has no parameter 'foo': use threshold, window."],
    ['staleness:window', "Write staleness parameters as key=value pairs separated by commas, got 'window'."],
    ['plateau:window=1', 'The plateau window must be an integer >= 2, got 1.'],
    ['plateau:relativeChange=2', 'The plateau relativeChange must be in (0, 1], got 2.'],
    ['plateau:gap=0', 'The plateau gap must be an integer >= 1, got 0.'],
    ['plateau:threshold=0.1', "The plateau policy has no parameter 'threshold': use relativeChange, window, gap."],
  ];
  for (const [spec, message] of cases) assert.throws(() => parseWarmupPolicy(spec), { name: 'UserError', message }, spec);
});

test('every registered policy: parses with its defaults, round-trips through formatWarmupPolicy, and decides online and offline alike', () => {
  const ctx = { memorySize: 640, batchSize: 64, margin: 0.5, lossKind: 'contrastive' };
  // Low drift, well-separated classes (W = 0.1, B = 1), a spread P = 1.2: every drift-reading policy fires.
  const rows = [10, 20, 30, 40, 50, 60].map((t, i) => ({ iteration: t, gap: 10, mean: 0.004 * (1 + 0.01 * i), median: 0, p90: 0, max: 0, n: 8, scatter_within: 0.1, scatter_between: 1, probe_spread: 1.2 }));
  for (const policy of WARMUP_POLICIES) {
    const spec = policy.usage.replace('<iteration>', '20');
    const cfg = parseWarmupPolicy(spec);
    assert.equal(cfg.kind, policy.kind);
    for (const [k, v] of Object.entries(policy.defaults)) assert.equal((cfg as unknown as Record<string, number>)[k], v, `${policy.kind}.${k}`);
    assert.deepEqual(parseWarmupPolicy(formatWarmupPolicy(cfg)), cfg, `${policy.kind} round trip`);
    const online = new OnlineWarmup(cfg, ctx);
    let fired = null;
    for (const r of rows) fired = online.observe(r) ?? fired;
    const offline = decideWarmup(rows, cfg, ctx);
    assert.equal(offline.start, fired?.start ?? null, policy.kind);
    assert.ok(offline.start !== null, `${policy.kind} fires on a low, flat drift curve`);
    assert.equal(offline.policy, policy.kind);
    assert.ok(offline.reason.length > 0 && !offline.reason.includes('undefined'), offline.reason);
  }
  assert.deepEqual(WARMUP_POLICY_KINDS, ['staleness', 'plateau', 'scatter', 'trial', 'fixed']);
});
