import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeScatter } from '../../src/analysis/drift.js';
import { COLLAPSE_THRESHOLDS } from '../../src/analysis/collapse.js';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { TrialTracker, TrialWatch } from '../../src/analysis/warmup/policies/trial.js';
import type { DriftPoint } from '../../src/analysis/warmup/types.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import type { DriftRow } from '../../src/io/tables.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { Rng } from '../../src/random.js';
import { XbmController } from '../../src/train/xbm-controller.js';
import { runCli, TINY_TRAIN } from '../helpers/cli.js';
import { TOL } from '../helpers/tolerances.js';
import { tempDir } from '../helpers/tmp.js';
import { seededFloats } from './drift-fixtures.js';

const CTX = { memorySize: 640, batchSize: 64, margin: 0.5, lossKind: 'contrastive' }; // S = 10
const pt = (iteration: number, drift: number, spread: number): DriftPoint => ({ iteration, gap: 10, drift, spread });
const rowOf = (iteration: number, mean: number, spread: number): DriftRow =>
  ({ iteration, gap: 10, mean, median: 0, p90: 0, max: 0, n: 8, scatter_within: NaN, scatter_between: NaN, probe_spread: spread });

/** Naive float64 mean of ||f_i - f_j||^2 over ordered pairs i != j. */
function naiveSpread(emb: Float32Array, n: number, dim: number): number {
  if (n < 2) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (i === j) continue;
    for (let k = 0; k < dim; k++) s += (emb[i * dim + k] - emb[j * dim + k]) ** 2;
  }
  return s / (n * (n - 1));
}

test('the probe spread P equals the naive pairwise mean, whatever the labels; NaN below two samples', () => {
  const rng = new Rng(5);
  for (const [n, dim] of [[2, 1], [9, 3], [64, 16], [201, 8]]) {
    const emb = seededFloats(rng, n * dim);
    const labels = Int32Array.from({ length: n }, (_, i) => i); // one sample per class: W and B are NaN, P is not
    const got = probeScatter(emb, labels, dim);
    const want = naiveSpread(emb, n, dim);
    assert.ok(Math.abs(got.spread - want) <= TOL.float32 * Math.max(1, want), `n=${n} dim=${dim}: ${got.spread} vs ${want}`);
    assert.ok(Number.isNaN(got.within));
  }
  assert.ok(Number.isNaN(probeScatter(Float32Array.of(1, 2), Int32Array.of(0), 2).spread));
  // Identical rows: exactly 0, never a rounding residue below it.
  assert.equal(probeScatter(new Float32Array(12).fill(0.3), Int32Array.of(0, 0, 1, 1), 3).spread, 0);
});

test('trial tracker: fires at the first snapshot with D < ratio x P; NaN spread never fires and is counted', () => {
  const tr = new TrialTracker(1, 1);
  assert.equal(tr.step(pt(10, 1.2, 1.1)), null); // D/P 1.09
  assert.equal(tr.step(pt(20, 1.0, NaN)), null);
  assert.equal(tr.step(pt(30, 1.1, 1.1)), null); // equal is not below
  const s = tr.shortfall();
  assert.equal(s.lastIteration, 30);
  assert.equal(s.lastValue, 1);
  assert.equal(s.unmeasured, 1);
  assert.deepEqual(s.best, { iteration: 30, value: 1 });
  assert.deepEqual(tr.step(pt(40, 0.9, 1.1)), [40]);
  const two = new TrialTracker(0.5, 2);
  assert.equal(two.step(pt(10, 0.4, 1)), null);
  assert.equal(two.step(pt(20, 0.6, 1)), null); // above 0.5 x P restarts the count
  assert.equal(two.step(pt(30, 0.4, 1)), null);
  assert.deepEqual(two.step(pt(40, 0.3, 1)), [30, 40]);
});

test('trial: parse, defaults and validation; offline and online decide alike, with the reason', () => {
  assert.deepEqual(parseWarmupPolicy('trial'), { kind: 'trial', ratio: 1, window: 1 });
  assert.deepEqual(parseWarmupPolicy('trial:ratio=0.5,window=2'), { kind: 'trial', ratio: 0.5, window: 2 });
  assert.throws(() => parseWarmupPolicy('trial:ratio=0'), { name: 'UserError', message: msg.policyOutOfRange('trial', 'ratio', 0, 'a positive finite number') });
  assert.throws(() => parseWarmupPolicy('trial:window=0'), { name: 'UserError' });
  const rows = [rowOf(10, 1.5, 1.2), rowOf(20, 1.0, 1.2), rowOf(30, 0.5, 1.3)];
  const d = decideWarmup(rows, parseWarmupPolicy('trial'), CTX);
  assert.equal(d.start, 20);
  assert.equal(d.reason, msg.trialFired(20, 'D(t; S=10)', 1, 1.0, 1.2));
  const c = new XbmController(resolveTrainConfig({ out: '/tmp/unused', classesPerBatch: 16, perClass: 4, xbmSize: 640, xbmStart: 'auto:trial' }));
  assert.equal(c.observeDrift(rows[0]), false);
  assert.equal(c.observeDrift(rows[1]), true);
  assert.deepEqual(c.warmupDecision, d);
  // A drift.csv without the column: the policy says what is missing and how to recompute.
  const old = rows.map(({ probe_spread: _, ...r }) => r);
  assert.throws(() => decideWarmup(old, parseWarmupPolicy('trial'), CTX), { message: msg.driftLacksColumns('trial', ['probe_spread'], 10, '<run>') });
});

test('trial watch: the reference is the median of the first steps with the memory loss on; an explosion pauses with back-off S, 2S, ...', () => {
  const S = 10;
  const refSteps = COLLAPSE_THRESHOLDS.memoryLossReferenceSteps;
  const factor = COLLAPSE_THRESHOLDS.memoryLossFactor;
  const w = new TrialWatch(S, 100);
  const step = (iteration: number, memoryLoss: number, memoryLossOn = true) => w.observeStep({ iteration, memoryLoss, memoryLossOn });
  assert.equal(step(100, 999), null); // the start's own step: before the memory
  // Reference: median of the first refSteps active losses (0.1 .. 0.5 -> 0.3).
  for (let i = 0; i < refSteps; i++) assert.equal(step(101 + i, 0.1 * (i + 1)), null);
  let t = 101 + refSteps;
  assert.equal(step(t++, factor * 0.3 * 0.99), null); // under the bound
  const pause = step(t, factor * 0.3 * 1.01)!;
  assert.equal(pause.action, 'pause');
  assert.equal(pause.message, msg.trialPause(msg.trialLossPause(t, factor * 0.3 * 1.01, 0.3, factor), 1, S, t + S));
  assert.equal(w.paused, true);
  for (let u = t + 1; u < t + S; u++) assert.equal(step(u, 0, false), null);
  const resume = step(t + S, 0, false)!;
  assert.deepEqual([resume.action, resume.iteration, w.paused], ['resume', t + S, false]);
  // A new reference after the resume (0.1 x 5 -> 0.1), then a second pause lasts 2S.
  t += S + 1;
  for (let i = 0; i < refSteps; i++) assert.equal(step(t++, 0.1), null);
  const second = step(t, 0.1 * factor * 2)!;
  assert.equal(second.action, 'pause');
  assert.equal(second.message, msg.trialPause(msg.trialLossPause(t, 0.1 * factor * 2, 0.1, factor), 2, 2 * S, t + 2 * S));
  assert.equal(step(t + 2 * S - 1, 0, false), null);
  assert.equal(step(t + 2 * S, 0, false)!.action, 'resume');
  // A non-finite memory loss pauses at once; a zero reference never pauses on the ratio.
  for (const bad of [Infinity, NaN]) {
    const v = new TrialWatch(S, 0);
    assert.equal(v.observeStep({ iteration: 1, memoryLoss: bad, memoryLossOn: true })!.action, 'pause', String(bad));
    // A step without the memory loss says nothing, whatever its value.
    assert.equal(new TrialWatch(S, 0).observeStep({ iteration: 1, memoryLoss: bad, memoryLossOn: false }), null);
  }
  const z = new TrialWatch(S, 0);
  for (let i = 1; i <= refSteps; i++) z.observeStep({ iteration: i, memoryLoss: 0, memoryLossOn: true });
  assert.equal(z.observeStep({ iteration: refSteps + 1, memoryLoss: 5, memoryLossOn: true }), null);
});

test('the controller applies the watch: a pause stops the memory loss (the memory keeps filling), the events record it', () => {
  const c = new XbmController(resolveTrainConfig({ out: '/tmp/unused', classesPerBatch: 16, perClass: 4, xbmSize: 640, xbmStart: 'auto:trial' }));
  c.observeDrift(rowOf(10, 0.5, 1));
  assert.equal(c.startIteration, 10);
  const row = (iteration: number, memory_loss: number) => ({ iteration, memory_loss, xbm_active: c.flags().memoryLoss ? 1 as const : 0 as const });
  for (let t = 11; t <= 15; t++) c.observeStep(row(t, 0.2));
  c.observeStep(row(16, 5));
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: false });
  assert.equal(c.state().paused, true);
  for (let t = 17; t < 26; t++) c.observeStep(row(t, 0));
  assert.equal(c.isPaused, true);
  c.observeStep(row(26, 0)); // S = 10 steps after the pause at 16
  assert.deepEqual(c.flags(), { enqueue: true, memoryLoss: true });
  assert.deepEqual(c.events.map((e) => [e.kind, e.iteration]), [['xbm-start', 10], ['xbm-pause', 16], ['xbm-resume', 26]]);
});

test('end to end: train with --xbm-start auto:trial starts XBM from the probe\'s spread; the warmup verb replays the same start', async (t) => {
  const run = join(tempDir(t), 'run');
  const trained = await runCli(['train', ...TINY_TRAIN, '--iterations', '12', '--lr', '0.01', '--xbm-size', '20', '--xbm-start', 'auto:trial', '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.notEqual(record.xbm.start, null, 'D(t; S) < P within 12 iterations of a tiny run');
  assert.equal(record.xbm.decision.policy, 'trial');
  const out = await runCli(['warmup', run, '--policy', 'trial']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.split('\n')[0], `start: iteration ${record.xbm.start}`);
});
