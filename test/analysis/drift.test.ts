import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { computeDrift, defaultGaps, DRIFT_BY_CLASS_COLUMNS, pairDrift, possibleGaps } from '../../src/analysis/drift.js';
import { summariseInPlace } from '../../src/analysis/drift-stats.js';
import { writeDriftOutputs } from '../../src/analysis/drift-output.js';
import { UserError } from '../../src/errors.js';
import { readCsv, readCsvRaw } from '../../src/io/csv.js';
import { runPaths } from '../../src/io/run-paths.js';
import { writeSnapshot } from '../../src/io/snapshot-file.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { DRIFT_COLUMNS, type DriftRow } from '../../src/io/tables.js';
import { driftMessages } from '../../src/messages/drift.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun, naiveDrift, seededFloats, statMismatches } from './drift-fixtures.js';

test('pairDrift equals the naive reference, median/p90/max included, for small and awkward sizes', () => {
  const rng = new Rng(3);
  const problems: string[] = [];
  for (const [n, dim] of [[1, 1], [2, 3], [3, 4], [10, 5], [11, 7], [100, 128], [1001, 9]]) {
    const a = seededFloats(rng, n * dim);
    const b = seededFloats(rng, n * dim);
    problems.push(...statMismatches(`n=${n} dim=${dim}`, pairDrift(a, b, dim), naiveDrift(a, b, dim), TOL.float32));
  }
  assert.deepEqual(problems, []);
});

test('quantiles with many ties and sorted/reversed inputs match the sort-based reference', () => {
  const rng = new Rng(4);
  const problems: string[] = [];
  const cases: number[][] = [
    Array.from({ length: 50 }, () => rng.int(3)),
    Array.from({ length: 64 }, (_, i) => i),
    Array.from({ length: 63 }, (_, i) => 63 - i),
    Array.from({ length: 40 }, () => 2),
    [5, 1],
  ];
  for (const values of cases) {
    // Values as squared distances of 1-D points from 0.
    const a = Float32Array.from(values, Math.sqrt);
    const b = new Float32Array(values.length);
    problems.push(...statMismatches(`[${values.slice(0, 5)}...]`, pairDrift(a, b, 1), naiveDrift(a, b, 1), TOL.exact));
  }
  assert.deepEqual(problems, []);
});

test('identical matrices drift by exactly 0, and a NaN makes every statistic NaN', () => {
  const a = seededFloats(new Rng(5), 30 * 6);
  assert.deepEqual(pairDrift(a, a.slice(), 6), { mean: 0, median: 0, p90: 0, max: 0, n: 30 });
  const b = a.slice();
  b[7] = NaN;
  const s = pairDrift(a, b, 6);
  assert.ok([s.mean, s.median, s.p90, s.max].every(Number.isNaN));
  assert.equal(summariseInPlace(new Float64Array(0)).n, 0);
  assert.throws(() => pairDrift(a, a.subarray(0, 6), 6), /a has 180 floats, b 6/);
});

test('computeDrift on files equals the naive reference for every (t, dt), and gap 0 is 0', (t) => {
  const dir = tempDir(t);
  const iterations = [0, 1, 9, 10, 11, 20, 30, 100, 101, 110];
  const run = makeRun(dir, { n: 37, dim: 5, iterations });
  const gaps = [0, 1, 10, 100];
  const res = computeDrift(SnapshotReader.open(dir), gaps);
  const expected: DriftRow[] = [];
  for (const g of gaps) {
    for (const it of iterations) {
      const prev = run.embeddings.get(it - g);
      if (prev) expected.push({ iteration: it, gap: g, ...naiveDrift(run.embeddings.get(it)!, prev, 5) });
    }
  }
  assert.deepEqual(res.rows.map((r) => [r.iteration, r.gap]), expected.map((r) => [r.iteration, r.gap]));
  const problems = res.rows.flatMap((r, i) => statMismatches(`t=${r.iteration} dt=${r.gap}`, r, expected[i], TOL.float32));
  assert.deepEqual(problems, []);
  const zero = res.rows.filter((r) => r.gap === 0);
  assert.equal(zero.length, iterations.length);
  assert.ok(zero.every((r) => r.mean === 0 && r.median === 0 && r.p90 === 0 && r.max === 0 && r.n === 37));
  assert.ok(res.rows.filter((r) => r.gap > 0).every((r) => r.mean > 0));
  assert.deepEqual(res.unsupportedGaps, []);
  assert.deepEqual(res.warnings, []);
  assert.equal(res.runId, 'test-run');
});

test('an unsupported gap gives a warning that lists the possible gaps', (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 4, dim: 2, iterations: [0, 100, 200, 250] });
  const res = computeDrift(SnapshotReader.open(dir), [100, 7, 1000]);
  assert.deepEqual(res.unsupportedGaps, [7, 1000]);
  assert.deepEqual(res.possibleGaps, [50, 100, 150, 200, 250]);
  assert.deepEqual(res.warnings, [driftMessages.unsupportedGaps(dir, [7, 1000], [50, 100, 150, 200, 250])]);
  assert.match(res.warnings[0], /7, 1000 iterations apart.*possible gaps: 50, 100, 150, 200, 250/);
  assert.deepEqual(res.rows.map((r) => r.iteration), [100, 200]);
});

test('a single snapshot warns that drift needs two', (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 4, dim: 2, iterations: [40] });
  const res = computeDrift(SnapshotReader.open(dir), [10]);
  assert.deepEqual(res.warnings, [driftMessages.oneSnapshot(dir, 40)]);
  assert.deepEqual(res.rows, []);
  assert.deepEqual(defaultGaps([40]), []);
});

test('bad gaps are user errors', (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 4, dim: 2, iterations: [0, 1] });
  for (const g of [-1, 1.5, NaN]) {
    assert.throws(() => computeDrift(SnapshotReader.open(dir), [g]), (e: unknown) => e instanceof UserError && e.message === driftMessages.badGap(g));
  }
});

test('per-class rows equal the naive reference over each class', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 60, dim: 4, iterations: [0, 5, 10], classes: 5 });
  const res = computeDrift(SnapshotReader.open(dir), [5, 10], { byClass: true });
  const classes = [...new Set(run.labels)].sort((a, b) => a - b);
  assert.ok(classes.includes(0), 'label 0 is an ordinary class');
  const problems: string[] = [];
  const keys: string[] = [];
  for (const g of [5, 10]) {
    for (const it of [5, 10]) {
      if (!run.embeddings.has(it - g)) continue;
      for (const c of classes) {
        const rows = [...run.labels.keys()].filter((i) => run.labels[i] === c);
        const want = naiveDrift(run.embeddings.get(it)!, run.embeddings.get(it - g)!, 4, rows);
        const got = res.byClass!.find((r) => r.iteration === it && r.gap === g && r.class === c);
        if (!got) problems.push(`missing t=${it} dt=${g} class=${c}`);
        else problems.push(...statMismatches(`t=${it} dt=${g} class=${c}`, got, want, TOL.float32));
        keys.push(`${it}/${g}/${c}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.equal(res.byClass!.length, keys.length);
  assert.equal(res.byClass!.reduce((s, r) => s + r.n, 0), 60 * 3);
  assert.equal(computeDrift(SnapshotReader.open(dir), [5]).byClass, undefined);
});

test('memory stays within the cache size on a long run, whatever the gaps, with the fewest reads', (t) => {
  const dir = tempDir(t);
  const iterations = Array.from({ length: 40 }, (_, i) => i * 10);
  const run = makeRun(dir, { n: 8, dim: 2, iterations });
  for (const cacheSnapshots of [2, 3, 5]) {
    const res = computeDrift(SnapshotReader.open(dir), [0, 10, 20, 100, 300], { cacheSnapshots });
    assert.ok(res.stats.peakSnapshotsHeld <= cacheSnapshots, `cache ${cacheSnapshots}: held ${res.stats.peakSnapshotsHeld}`);
    assert.equal(res.stats.pairs, 40 + 39 + 38 + 30 + 10);
    assert.equal(res.stats.bytesCompared, res.stats.pairs * 2 * 8 * 2 * 4);
    // Right rows whatever the cache, though evicted snapshots' buffers are read into again.
    const problems = res.rows.flatMap((r) =>
      statMismatches(`${r.iteration}/${r.gap}`, r, naiveDrift(run.embeddings.get(r.iteration)!, run.embeddings.get(r.iteration - r.gap)!, 2), TOL.float32));
    assert.deepEqual(problems, []);
  }
  // Gaps 10 and 20 need t, t - 10, t - 20 at once: a cache of 3 reads every snapshot once.
  assert.equal(computeDrift(SnapshotReader.open(dir), [10, 20], { cacheSnapshots: 3 }).stats.snapshotsRead, 40);
  // A far gap adds at most one read per pair; a snapshot used only as t - dt is read when needed.
  const far = computeDrift(SnapshotReader.open(dir), [10, 20, 100], { cacheSnapshots: 3 }).stats;
  assert.ok(far.snapshotsRead > 40 && far.snapshotsRead <= 40 + 30, `${far.snapshotsRead} reads`);
  assert.equal(computeDrift(SnapshotReader.open(dir), [300], { cacheSnapshots: 2 }).stats.snapshotsRead, 20);
});

test('possible and default gaps come from the snapshot iterations', () => {
  assert.deepEqual(possibleGaps([0, 90, 99, 100]), [1, 9, 10, 90, 99, 100]);
  assert.deepEqual(defaultGaps([0, 90, 99, 100, 190, 199, 200]), [1, 10, 100]);
  assert.deepEqual(defaultGaps([0, 50, 100, 150]), [50, 100]);
  assert.deepEqual(defaultGaps([0, 1000, 2000]), [1000]);
});

test('drift.csv and drift.arrow hold the same rows, in the contract columns', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 9, dim: 3, iterations: [0, 1, 2, 12] });
  const res = computeDrift(SnapshotReader.open(dir), [1, 10, 11], { byClass: true });
  const paths = runPaths(dir);
  const written = await writeDriftOutputs(dir, res);
  assert.deepEqual(written, [paths.driftCsv, paths.driftArrow, paths.driftByClassCsv]);
  assert.equal(readFileSync(paths.driftCsv, 'utf8').split('\n')[0], DRIFT_COLUMNS.join(','));
  assert.equal(readFileSync(paths.driftByClassCsv, 'utf8').split('\n')[0], DRIFT_BY_CLASS_COLUMNS.join(','));
  const csv = await readCsv<DriftRow>(paths.driftCsv);
  assert.deepEqual(csv, res.rows);
  const table = tableFromIPC(readFileSync(paths.driftArrow));
  assert.deepEqual(table.schema.fields.map((f) => f.name), DRIFT_COLUMNS);
  assert.equal(table.schema.metadata.get('xbm_drift.kind'), 'drift');
  assert.equal(table.schema.metadata.get('xbm_drift.run_id'), 'test-run');
  const fromArrow = table.toArray().map((r) => Object.fromEntries(DRIFT_COLUMNS.map((c) => [c, Number(r[c])])));
  assert.deepEqual(fromArrow, res.rows);
  assert.equal((await readCsvRaw(paths.driftByClassCsv)).length, res.byClass!.length);
});

test('a snapshot whose rows are in another order gives the same drift', (t) => {
  const dir = tempDir(t);
  const run = makeRun(dir, { n: 12, dim: 3, iterations: [0, 1] });
  const before = computeDrift(SnapshotReader.open(dir), [1]).rows;
  const order = Array.from({ length: 12 }, (_, i) => 11 - i);
  const emb = run.embeddings.get(1)!;
  writeSnapshot(runPaths(dir).snapshot(1), {
    runId: 'test-run', iteration: 1, dim: 3, normalized: false,
    sampleIds: Int32Array.from(order, (i) => run.sampleIds[i]),
    labels: Int32Array.from(order, (i) => run.labels[i]),
    embeddings: Float32Array.from({ length: 36 }, (_, k) => emb[order[Math.floor(k / 3)] * 3 + (k % 3)]),
  });
  assert.deepEqual(computeDrift(SnapshotReader.open(dir), [1]).rows, before);
});
