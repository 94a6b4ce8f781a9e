import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeDrift, driftRowAt, probeScatter } from '../../src/analysis/drift.js';
import { decideWarmup } from '../../src/analysis/warmup/decide.js';
import { OnlineWarmup } from '../../src/analysis/warmup/online.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { ScatterTracker } from '../../src/analysis/warmup/policies/scatter.js';
import type { DriftPoint } from '../../src/analysis/warmup/types.js';
import { runWarmup, type WarmupFile } from '../../src/cli/warmup.js';
import { readDriftTable } from '../../src/io/formats/drift-table.js';
import { readCsv } from '../../src/io/csv.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { runPaths } from '../../src/io/run-paths.js';
import type { DriftRow } from '../../src/io/tables.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { Rng } from '../../src/random.js';
import { runCli, TINY_TRAIN } from '../helpers/cli.js';
import { TOL } from '../helpers/tolerances.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun, seededFloats } from './drift-fixtures.js';

const CTX = { memorySize: 640, batchSize: 64, margin: 0.5, lossKind: 'contrastive' }; // S = 10

/** A point with D = drift, W = 1, B = between (NaN for "not measured"). */
const pt = (iteration: number, drift: number, between = 2, within = 1): DriftPoint =>
  ({ iteration, gap: 10, drift, scatterWithin: within, scatterBetween: between });

const rowOf = (p: DriftPoint): DriftRow => ({
  iteration: p.iteration, gap: p.gap, mean: p.drift, median: 0, p90: 0, max: 0, n: 8,
  scatter_within: p.scatterWithin ?? NaN, scatter_between: p.scatterBetween ?? NaN,
});

/**
 * Naive float64 reference, by a different route than the code: the within-class sum of squares
 * of a class is sum over pairs (i < j) of ||f_i - f_j||^2 / n_y; W divides the total by
 * sum (n_y - 1); B = sum n_y ||c_y - c||^2 / N over classes with two samples or more.
 */
function naiveScatter(emb: Float32Array, labels: Int32Array, dim: number): { within: number; between: number } {
  const byClass = new Map<number, number[][]>();
  labels.forEach((y, i) => byClass.set(y, [...(byClass.get(y) ?? []), Array.from(emb.subarray(i * dim, (i + 1) * dim), Number)]));
  const kept = [...byClass.values()].filter((rows) => rows.length >= 2);
  if (kept.length === 0) return { within: NaN, between: NaN };
  let ss = 0, dof = 0, count = 0;
  const all: number[] = new Array(dim).fill(0);
  for (const rows of kept) {
    for (let i = 0; i < rows.length; i++) {
      for (let j = i + 1; j < rows.length; j++) ss += rows[i].reduce((s, v, k) => s + (v - rows[j][k]) ** 2, 0) / rows.length;
      rows[i].forEach((v, k) => (all[k] += v));
    }
    dof += rows.length - 1;
    count += rows.length;
  }
  const centre = all.map((v) => v / count);
  let between = 0;
  for (const rows of kept) {
    const mean = centre.map((_, k) => rows.reduce((s, r) => s + r[k], 0) / rows.length);
    between += rows.length * mean.reduce((s, v, k) => s + (v - centre[k]) ** 2, 0);
  }
  return { within: ss / dof, between: between / count };
}

const close = (got: number, want: number) => (Number.isNaN(want) ? Number.isNaN(got) : Math.abs(got - want) <= TOL.float32 * Math.max(1, Math.abs(want)));

test('probeScatter equals the naive float64 reference on random labelled embeddings', () => {
  const rng = new Rng(11);
  const problems: string[] = [];
  // [n, dim, classes]: many classes make singletons (skipped); one class has no between-class scatter.
  for (const [n, dim, classes] of [[2, 1, 1], [7, 3, 2], [40, 8, 5], [50, 5, 30], [301, 16, 12], [64, 64, 1]]) {
    const emb = seededFloats(rng, n * dim);
    // Class offsets, so B is not only noise; labels unsorted and not 0..k-1.
    const labels = Int32Array.from({ length: n }, () => 3 + 7 * rng.int(classes));
    labels.forEach((y, i) => { for (let k = 0; k < dim; k++) emb[i * dim + k] += (y % 5) - 2; });
    const got = probeScatter(emb, labels, dim);
    const want = naiveScatter(emb, labels, dim);
    if (!close(got.within, want.within) || !close(got.between, want.between)) {
      problems.push(`n=${n} dim=${dim} k=${classes}: got W ${got.within} B ${got.between}, want W ${want.within} B ${want.between}`);
    }
  }
  assert.deepEqual(problems, []);
  // Only singletons: nothing to measure. A NaN embedding: NaN, not a wrong number.
  const lone = probeScatter(Float32Array.of(1, 2, 3), Int32Array.of(0, 1, 2), 1);
  assert.ok(Number.isNaN(lone.within) && Number.isNaN(lone.between) && lone.n === 0);
  const bad = probeScatter(Float32Array.of(1, NaN, 3, 4), Int32Array.of(0, 0, 1, 1), 1);
  assert.ok(Number.isNaN(bad.within) && Number.isNaN(bad.between));
  assert.throws(() => probeScatter(new Float32Array(5), new Int32Array(2), 2), RangeError);
});

test('drift rows carry W and B of the later snapshot; the online row (driftRowAt) equals the drift command\'s exactly', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 30, dim: 6, iterations: [0, 10, 20, 30], classes: 5 });
  const res = computeDrift(SnapshotReader.open(dir), [10, 20]);
  for (const r of res.rows) {
    const want = naiveScatter(run.embeddings.get(r.iteration)!, run.labels, 6);
    assert.ok(close(r.scatter_within!, want.within) && close(r.scatter_between!, want.between), `t=${r.iteration} dt=${r.gap}`);
    const online = driftRowAt(r.iteration, r.gap, run.embeddings.get(r.iteration)!, run.embeddings.get(r.iteration - r.gap)!, run.labels, 6);
    assert.deepEqual(online, r);
  }
});

test('scatter tracker: fires only when D <= ratio * W and B > W hold for window consecutive snapshots; anything else restarts', () => {
  const steps = (tracker: ScatterTracker, points: DriftPoint[]) => points.map((p) => tracker.step(p));
  // D <= W but B <= W (no class structure yet), then both, broken once by D > W, then 3 in a row.
  const tr = new ScatterTracker(1, 3);
  const fired = steps(tr, [pt(10, 0.5, 0.9), pt(20, 0.5, 1), pt(30, 0.9), pt(40, 1), pt(50, 1.01), pt(60, 0.2), pt(70, 0.3), pt(80, 0.4)]);
  assert.deepEqual(fired.slice(0, 7), [null, null, null, null, null, null, null]);
  assert.deepEqual(fired[7], [60, 70, 80]);
  // D = W exactly counts; B = W exactly does not.
  assert.deepEqual(steps(new ScatterTracker(1, 1), [pt(10, 1, 1), pt(20, 1, 1.0001)]), [null, [20]]);
  // ratio scales the drift side only.
  assert.deepEqual(steps(new ScatterTracker(0.5, 2), [pt(10, 0.6), pt(20, 0.5), pt(30, 0.5)]), [null, null, [20, 30]]);
  // NaN or missing W, B or D restarts the count and is counted as unmeasured when W or B is.
  const nan = new ScatterTracker(1, 2);
  const noScatter: DriftPoint = { iteration: 30, gap: 10, drift: 0.1 };
  assert.deepEqual(steps(nan, [pt(10, 0.1), pt(20, 0.1, NaN), noScatter, pt(40, NaN), pt(50, 0.1, 2, NaN), pt(60, 0.1), pt(70, 0.1)]),
    [null, null, null, null, null, null, [60, 70]]);
  const s = new ScatterTracker(1, 3);
  steps(s, [pt(10, 3, 0.5), pt(20, 2, 4), pt(30, 0.5, 0.5, 2), noScatter]);
  assert.deepEqual(s.shortfall(), {
    lastIteration: 30, lastValue: NaN, target: 1, excess: NaN, ratio: NaN, consecutive: 0, window: 3,
    best: { iteration: 30, value: 0.25 }, separation: NaN, unmeasured: 1,
  });
  const t2 = new ScatterTracker(2, 3);
  steps(t2, [pt(10, 1, 4, 2), pt(20, 3, 3, 2)]);
  assert.deepEqual(t2.shortfall(), {
    lastIteration: 20, lastValue: 1.5, target: 2, excess: -0.5, ratio: 0.75, consecutive: 2, window: 3,
    best: { iteration: 10, value: 0.5 }, separation: 1.5, unmeasured: 0,
  });
});

test('scatter decides online and offline alike, with its reason; parse, defaults and validation', () => {
  assert.deepEqual(parseWarmupPolicy('scatter'), { kind: 'scatter', ratio: 1, window: 3 });
  assert.deepEqual(parseWarmupPolicy('scatter:ratio=0.5,window=2'), { kind: 'scatter', ratio: 0.5, window: 2 });
  assert.throws(() => parseWarmupPolicy('scatter:ratio=0'), { message: msg.policyOutOfRange('scatter', 'ratio', 0, 'a positive finite number') });
  assert.throws(() => parseWarmupPolicy('scatter:window=0'), { message: 'The scatter window must be an integer >= 1, got 0.' });
  assert.throws(() => parseWarmupPolicy('scatter:threshold=1'), { message: "The scatter policy has no parameter 'threshold': use ratio, window." });

  const points = [pt(10, 3, 0.5), pt(20, 0.8, 3), pt(30, 0.6, 3), pt(40, 0.5, 4), pt(50, 0.4, 4)];
  const cfg = parseWarmupPolicy('scatter');
  const online = new OnlineWarmup(cfg, CTX);
  let fired = null;
  for (const p of points) fired ??= online.observe(rowOf(p));
  const offline = decideWarmup(points.map(rowOf), cfg, CTX);
  assert.equal(fired!.start, 40);
  assert.deepEqual(offline, fired);
  assert.deepEqual(offline.evidence.firedAt, [20, 30, 40]);
  assert.deepEqual(offline.evidence.drift.map((p) => [p.scatterWithin, p.scatterBetween]), [[1, 0.5], [1, 3], [1, 3], [1, 4]]);
  assert.equal(offline.reason, msg.scatterFired(40, 'D(t; S=10)', 1, 3, 20, 0.5, 4));
  assert.equal(offline.evidence.threshold, 1);
  assert.equal(offline.evidence.thresholdDerivation, msg.scatterDerivation(1, true));

  const never = decideWarmup([pt(10, 3, 0.5), pt(20, 2, 3), pt(30, 1.5, 0.8)].map(rowOf), cfg, CTX);
  assert.equal(never.start, null);
  assert.equal(never.reason, msg.scatterNotReached('D(t; S=10)', 1, 3, never.evidence.shortfall!));
  assert.match(never.reason, /at the last snapshot, iteration 30, D\/W = 1\.5 and B\/W = 0\.8 \(lowest D\/W 1\.5 at iteration 30\)\.$/);
});

test('an old drift.csv without the scatter columns: old policies unchanged, scatter says what is missing and how to recompute', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ batchSize: 64, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 640 } }));
  mkdirSync(join(dir, 'analysis'));
  // As written before the columns existed: the old header, nothing else.
  const lines = ['iteration,gap,mean,median,p90,max,n', ...[10, 20, 30, 40].map((it) => `${it},10,0.01,0.01,0.01,0.01,8`)];
  writeFileSync(runPaths(dir).driftCsv, lines.join('\n') + '\n');
  const quiet = () => {};
  const old = (await readDriftTable(dir))!;
  assert.deepEqual(old.lacking, ['scatter_within', 'scatter_between', 'probe_spread']);
  assert.ok(old.rows.every((r) => Number.isNaN(r.scatter_within) && Number.isNaN(r.scatter_between)));
  const staleness = await runWarmup({ run: dir, policy: 'staleness' }, quiet);
  assert.equal(staleness.decision.start, 30);
  assert.deepEqual(staleness.decision.evidence.drift[0], { iteration: 10, gap: 10, drift: 0.01 });
  await assert.rejects(runWarmup({ run: dir, policy: 'scatter' }, quiet), {
    name: 'UserError',
    message: msg.driftLacksColumns('scatter', ['scatter_within', 'scatter_between'], 10, dir),
  });
  assert.equal(msg.driftLacksColumns('scatter', ['scatter_within', 'scatter_between'], 10, dir),
    `The scatter policy reads 'scatter_within' and 'scatter_between' from drift.csv, which has no values of them at a gap of at least 10 ` +
    `(a drift.csv written before those columns existed lacks them): recompute it from the run's snapshots with \`xbm-drift drift ${dir} --gaps 10\`.`);
  // Columns present but NaN everywhere (a probe of one sample per class): a different cause, a different fix.
  writeFileSync(runPaths(dir).driftCsv, ['iteration,gap,mean,median,p90,max,n,scatter_within,scatter_between',
    ...[10, 20, 30].map((it) => `${it},10,0.01,0.01,0.01,0.01,8,NaN,NaN`)].join('\n') + '\n');
  await assert.rejects(runWarmup({ run: dir, policy: 'scatter' }, quiet), { message: msg.driftColumnsUnmeasured('scatter', ['scatter_within', 'scatter_between'], 10) });
  assert.equal((await runWarmup({ run: dir, policy: 'staleness' }, quiet)).decision.start, 30);
  // The library path says the same for rows without the fields.
  assert.throws(() => decideWarmup([10, 20, 30].map((it) => ({ iteration: it, gap: 10, mean: 0.01, median: 0, p90: 0, max: 0, n: 8 })), parseWarmupPolicy('scatter'), CTX),
    { message: msg.driftLacksColumns('scatter', ['scatter_within', 'scatter_between'], 10, '<run>') });
});

test('end to end: a run trained here, its drift, then `xbm-drift warmup <run> --policy scatter`; the online policy agrees', async (t) => {
  const run = join(tempDir(t), 'run');
  // probe 100 over 50 training classes: two per class, so W is measured. S = ceil(20 / 8) = 3.
  const flags = TINY_TRAIN.map((a, i) => (TINY_TRAIN[i - 1] === '--probe-size' ? '100' : a));
  // ratio 100 passes any drift (D <= 4 < 100 W here), so this fires once the classes separate (B > W),
  // which lr 0.01 brings within 12 iterations (at 7 on our machines); XBM then starts there.
  const spec = 'scatter:ratio=100,window=1';
  const trained = await runCli(['train', ...flags, '--iterations', '12', '--lr', '0.01', '--xbm-size', '20', '--xbm-start', `auto:${spec}`, '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const drift = await runCli(['drift', run, '--gaps', '3']);
  assert.equal(drift.code, 0, drift.stderr);
  const rows = await readCsv<DriftRow>(runPaths(run).driftCsv);
  assert.ok(rows.length >= 3 && rows.every((r) => r.scatter_within! > 0 && r.scatter_between! > 0), JSON.stringify(rows));

  const out = await runCli(['warmup', run, '--policy', 'scatter']);
  assert.equal(out.code, 0, out.stderr);
  const file = JSON.parse(readFileSync(runPaths(run).warmup, 'utf8')) as WarmupFile;
  const d = file.decision;
  assert.equal(d.policy, 'scatter');
  assert.deepEqual(d.parameters, { ratio: 1, window: 3, gap: 3 });
  assert.deepEqual(d.evidence.drift.map((p) => [p.iteration, p.drift, p.scatterWithin, p.scatterBetween]),
    rows.filter((r) => d.start === null || r.iteration <= d.start).map((r) => [r.iteration, r.mean, r.scatter_within, r.scatter_between]));
  const lines = out.stdout.trim().split('\n');
  assert.equal(lines.at(-2), `reason: ${d.reason}`);
  if (d.start === null) {
    const last = rows.at(-1)!;
    assert.match(lines[0], /^start: not reached; at iteration 12 D\/W = [\d.e-]+ \(must be <= 1\) and B\/W = [\d.e-]+ \(must exceed 1\), \d of 3 consecutive snapshots meet both$/);
    assert.equal(d.evidence.shortfall!.lastValue, last.mean / last.scatter_within!);
    assert.equal(d.evidence.shortfall!.separation, last.scatter_between! / last.scatter_within!);
  } else assert.equal(lines[0], `start: iteration ${d.start}`);

  // The trainer evaluated the same policy online on the same rows: the same start (or none).
  const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  const offline = JSON.parse(readFileSync(runPaths(run).warmup, 'utf8')) as WarmupFile;
  const same = await runCli(['warmup', run, '--policy', spec]);
  assert.equal(same.code, 0, same.stderr);
  const replayed = (JSON.parse(readFileSync(runPaths(run).warmup, 'utf8')) as WarmupFile).decision;
  assert.notEqual(replayed.start, null, 'the classes separate within 12 iterations');
  assert.equal(record.xbm.start, replayed.start);
  assert.deepEqual(record.xbm.decision.evidence.drift, replayed.evidence.drift);
  assert.equal(record.xbm.decision.reason, replayed.reason);
  assert.ok(offline.decision.evidence.drift.length >= 3);
});
