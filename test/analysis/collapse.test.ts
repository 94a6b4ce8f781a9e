import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLLAPSE_THRESHOLDS, CollapseMonitor, detectCollapse, type MetricsLike } from '../../src/analysis/collapse.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { row } from './warmup-fixtures.js';

const START = 500;

/** Memory loss 0 before the start, about 2 after it, exploding to 25 from `explodeAt` on. */
function metrics(explodeAt: number | null): MetricsLike[] {
  const out: MetricsLike[] = [];
  for (let t = 0; t < 1000; t += 10) {
    const active = t >= START ? 1 : 0;
    const loss = !active ? 0 : explodeAt !== null && t >= explodeAt ? 25 : 2 + (t % 30) / 100;
    out.push({ iteration: t, memory_loss: loss, xbm_active: active, memory_pos_pairs: 100 * 64, memory_neg_pairs: 2900 * 64 });
  }
  return out;
}

const evals = (late: number) => [
  { iteration: 0, recall_at_1: 0.05 }, { iteration: 400, recall_at_1: 0.6 },
  { iteration: 600, recall_at_1: 0.5 }, { iteration: 800, recall_at_1: late },
];

// D(t; 10) and D(t; 100); large before the start (early training), small gap crossing 1 at 800.
const drift = (late: number) => [
  row(100, 10, 2.5), row(100, 100, 3),
  row(600, 10, 0.2), row(600, 100, 1.5),
  row(700, 10, 0.4), row(700, 100, 2),
  row(800, 10, late), row(800, 100, 3),
];

test('a collapsed run raises each kind of signal at its first occurrence', () => {
  const r = detectCollapse({ metrics: metrics(620), eval: evals(0.02), drift: drift(1.4), xbmStart: START });
  assert.equal(r.collapsed, true);
  assert.deepEqual(r.signals.map((s) => [s.kind, s.iteration, s.value, s.reference]), [
    ['memory-loss-explosion', 620, 25, 2.1], // median of 2.00 2.10 2.20 2.00 2.10 at 500..540
    ['drift-near-max', 800, 1.4, 1], // the small gap; D(t; 100) > 1 from 600 is not a signal
    ['recall-drop', 800, 0.02, 0.6], // reference: the last eval at or before the start
  ]);
  assert.equal(r.signals[0].message, msg.memoryLossRelative(620, 25, 2.1, 10));
  assert.equal(r.signals[2].message, 'Test Recall@1 0.02 at iteration 800 fell below 50% of its value 0.6 at the XBM start.');
});

test('a healthy run raises nothing; so does a run without XBM', () => {
  const healthy = { metrics: metrics(null), eval: evals(0.55), drift: drift(0.5) };
  assert.deepEqual(detectCollapse({ ...healthy, xbmStart: START }), { collapsed: false, signals: [] });
  assert.equal(detectCollapse({ metrics: metrics(620), eval: evals(0.02), drift: drift(1.4), xbmStart: null }).collapsed, false);
  // Just inside each bound.
  assert.equal(detectCollapse({ eval: evals(0.3), drift: drift(1), xbmStart: START }).collapsed, false);
});

test('absolute memory-loss bound with the batch size; paused rows are skipped', () => {
  // 0.25 * 3000 * 64 pairs / 64 = 750
  const rows: MetricsLike[] = [
    { iteration: 500, memory_loss: 800, xbm_active: 1, memory_pos_pairs: 100 * 64, memory_neg_pairs: 2900 * 64 },
  ];
  assert.equal(detectCollapse({ metrics: rows, xbmStart: START }).collapsed, false); // reference not formed yet
  const r = detectCollapse({ metrics: rows, xbmStart: START }, { batchSize: 64 });
  assert.deepEqual(r.signals.map((s) => [s.kind, s.value, s.reference]), [['memory-loss-explosion', 800, 750]]);
  assert.equal(r.signals[0].message, msg.memoryLossAbsolute(500, 800, 750, COLLAPSE_THRESHOLDS.memoryLossPerPair));
  const paused = metrics(620).map((m) => (m.iteration >= 600 && m.iteration < 700 ? { ...m, xbm_active: 0 as const } : m));
  assert.equal(detectCollapse({ metrics: paused, xbmStart: START }).signals[0].iteration, 700);
  const inf = detectCollapse({ metrics: [{ iteration: 510, memory_loss: Infinity, xbm_active: 1 }], xbmStart: START });
  assert.equal(inf.signals[0].message, 'The memory loss became Infinity at iteration 510.');
});

test('the incremental monitor gives the offline answer and reports each kind once', () => {
  const m = new CollapseMonitor(null);
  const fired: string[] = [];
  const note = (s: { kind: string } | null) => s && fired.push(s.kind);
  for (const e of evals(0.02).slice(0, 2)) note(m.observeEval(e));
  m.setStart(START); // the trainer switches XBM on
  for (const r of metrics(620)) note(m.observeMetrics(r));
  for (const e of evals(0.02).slice(2)) note(m.observeEval(e));
  for (const r of drift(1.4).filter((r) => r.gap === 10)) note(m.observeDrift(r));
  note(m.observeDrift(row(900, 10, 2))); // a second drift signal is not reported again
  assert.deepEqual(fired, ['memory-loss-explosion', 'recall-drop', 'drift-near-max']);
  const offline = detectCollapse({ metrics: metrics(620), eval: evals(0.02), drift: drift(1.4), xbmStart: START });
  assert.deepEqual(m.signals, offline.signals);
  assert.equal(m.collapsed, true);
  const custom = detectCollapse({ eval: evals(0.35), xbmStart: START }, { thresholds: { recallFraction: 0.75 } });
  assert.equal(custom.signals[0].kind, 'recall-drop');
});
