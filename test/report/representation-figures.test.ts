/**
 * The probe-trajectory (fixed PCA axes) and CKA-beside-drift figures: computed from a run's
 * snapshots by the report loader, drawn as golden SVGs, valid Vega-Lite, skipped without snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linearCka } from '../../src/analysis/cka.js';
import { fitPca, projectRows } from '../../src/analysis/pca.js';
import { writeProbe } from '../../src/io/probe-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { writeSnapshot } from '../../src/io/snapshot-file.js';
import { representationMessages as msg } from '../../src/messages/representation.js';
import { buildReport } from '../../src/report/build-report.js';
import { specToSvg } from '../../src/report/render-svg.js';
import type { Figure, Report } from '../../src/report/types.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun } from './fixtures.js';
import { compareGolden } from './golden.js';
import { vegaLiteErrors } from './json-schema.js';

const CLASSES = 10;
const PER_CLASS = 6;
const DIM = 8;
const N = CLASSES * PER_CLASS;
const EVERY = 5;

/**
 * Deterministic probe embeddings (no RNG, so golden files are stable): class centres on a circle
 * plus a per-sample offset. Before `start` the whole embedding rotates in the (0, 1) plane (drift
 * without a change of geometry: CKA 1); from `start` on, the classes also slide along dimension 2
 * at rates that differ per class (the geometry changes: CKA falls).
 */
function embedding(t: number, row: number, start: number | null): Float32Array {
  const c = Math.floor(row / PER_CLASS);
  const k = row % PER_CLASS;
  const a = (2 * Math.PI * c) / CLASSES;
  const v = new Float64Array(DIM);
  v[0] = 2 * Math.cos(a) + 0.3 * Math.sin(1.3 * k + c);
  v[1] = 1.2 * Math.sin(a) + 0.3 * Math.cos(0.7 * k + 2 * c);
  for (let j = 2; j < DIM; j++) v[j] = 0.15 * Math.sin(j * 1.1 + row * 0.37);
  const theta = 0.02 * t;
  const [x, y] = [v[0], v[1]];
  v[0] = Math.cos(theta) * x - Math.sin(theta) * y;
  v[1] = Math.sin(theta) * x + Math.cos(theta) * y;
  if (start !== null && t > start) v[2] += 0.04 * (t - start) * ((c % 3) - 1);
  return Float32Array.from(v);
}

function writeSnapshots(dir: string, iterations: number[], start: number | null): Map<number, Float32Array> {
  const sampleIds = Int32Array.from({ length: N }, (_, i) => 100 + i);
  const labels = Int32Array.from({ length: N }, (_, i) => Math.floor(i / PER_CLASS));
  writeProbe(runPaths(dir).probe, { runId: 'fixture', sampleIds, labels });
  const all = new Map<number, Float32Array>();
  for (const t of iterations) {
    const e = new Float32Array(N * DIM);
    for (let r = 0; r < N; r++) e.set(embedding(t, r, start), r * DIM);
    all.set(t, e);
    writeSnapshot(runPaths(dir).snapshot(t), { runId: 'fixture', iteration: t, sampleIds, labels, embeddings: e, dim: DIM, normalized: false });
  }
  return all;
}

const snapshotIterations = (T: number) => Array.from({ length: T / EVERY + 1 }, (_, i) => i * EVERY);

async function fixture(t: { after: (fn: () => void) => void }) {
  const root = tempDir(t);
  const xbm = await makeRun(join(root, 'xbm'), { name: 'xbm', iterations: 40, xbmStart: 22, xbmSize: 256, batchSize: 16, driftEvery: 5, gaps: [5, 10], dim: DIM });
  const baseline = await makeRun(join(root, 'baseline'), { name: 'baseline', iterations: 40, xbmStart: null, driftEvery: 5, gaps: [5, 10], dim: DIM });
  const embeddings = writeSnapshots(xbm, snapshotIterations(40), 22);
  writeSnapshots(baseline, snapshotIterations(40), null);
  return { root, xbm, baseline, embeddings };
}

const byId = (r: Report, id: string): Figure => {
  const f = r.figures.find((x) => x.id === id);
  assert.ok(f, `${id} drawn; skipped: ${r.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')}`);
  return f;
};

test('rendered trajectory and CKA figures of a fixed run match the golden files (UPDATE_GOLDEN=1 to accept a change)', async (t) => {
  const { xbm } = await fixture(t);
  const report = await buildReport(xbm);
  const problems: string[] = [];
  for (const id of ['pca-trajectories', 'cka-drift']) {
    const { svg } = await specToSvg(byId(report, id).spec);
    const problem = compareGolden(id, svg);
    if (problem) problems.push(problem);
  }
  assert.deepEqual(problems, []);
});

test('both specs validate against the Vega-Lite schema and render without warnings, one run or two, both themes', async (t) => {
  const { xbm, baseline } = await fixture(t);
  for (const theme of ['default', 'paper'] as const)
    for (const inputs of [[xbm], [xbm, baseline]]) {
      const report = await buildReport(inputs, { theme });
      for (const id of ['pca-trajectories', 'cka-drift']) {
        const f = byId(report, id);
        assert.deepEqual(vegaLiteErrors(f.spec), [], `${theme} ${id}`);
        const { warnings } = await specToSvg(f.spec);
        assert.deepEqual(warnings, [], `${theme} ${id} x${inputs.length}`);
      }
    }
});

test('trajectories: every snapshot on the axes of the last snapshot before the XBM start, not refitted', async (t) => {
  const { xbm, baseline, embeddings } = await fixture(t);
  const report = await buildReport([xbm, baseline]);
  const run = report.runs.find((r) => r.key === 'xbm')!;
  const traj = run.representation!.trajectories!;
  assert.equal(traj.reference.iteration, 20, 'last snapshot before the start at 22');
  assert.equal(traj.reference.rule, 'before-start');
  const other = report.runs.find((r) => r.key === 'baseline')!.representation!.trajectories!;
  assert.deepEqual([other.reference.iteration, other.reference.rule], [40, 'last'], 'no XBM start: the last snapshot');

  const f = byId(report, 'pca-trajectories');
  const rows = f.data.filter((r) => r.run === 'xbm');
  // 5 samples from each of the first 8 classes, at each of the 9 snapshots.
  assert.equal(new Set(rows.map((r) => r.class)).size, 8);
  assert.equal(rows.length, 8 * 5 * 9);
  const pca = fitPca(embeddings.get(20)!, N, DIM);
  for (const it of [0, 20, 40]) {
    const fixed = projectRows(pca, embeddings.get(it)!, N);
    for (const r of rows.filter((x) => x.iteration === it)) {
      const row = (r.sample as number) - 100;
      assert.ok(Math.abs((r.pc1 as number) - fixed[2 * row]) < 1e-9 && Math.abs((r.pc2 as number) - fixed[2 * row + 1]) < 1e-9, `iteration ${it} sample ${r.sample} on the reference axes`);
    }
  }
  // Refitting at 40 would give other coordinates: the test can tell.
  const refit = projectRows(fitPca(embeddings.get(40)!, N, DIM), embeddings.get(40)!, N);
  const at40 = rows.find((x) => x.iteration === 40 && x.sample === 100)!;
  assert.ok(Math.abs((at40.pc1 as number) - refit[0]) > 1e-3 || Math.abs((at40.pc2 as number) - refit[1]) > 1e-3);
  assert.deepEqual([...new Set(rows.filter((r) => r.marker !== '').map((r) => `${r.iteration}:${r.marker}`))], ['0:first snapshot', '25:XBM start', '40:last snapshot']);
  const spec = JSON.stringify(f.spec);
  assert.ok(spec.includes(msg.referenceBeforeStart(20, 22)) && spec.includes(msg.referenceLast(40, 'XBM never started')), 'the subtitles say which snapshot the axes come from');
});

test('CKA beside drift: 1 while the embedding only rotates, lower once the geometry changes; drift of the same pairs', async (t) => {
  const { xbm, embeddings } = await fixture(t);
  const f = byId(await buildReport(xbm), 'cka-drift');
  assert.deepEqual([...new Set(f.data.map((r) => r.gap))], [5, 10], 'the gaps of drift.csv');
  for (const r of f.data) {
    const it = r.iteration as number;
    const gap = r.gap as number;
    const a = embeddings.get(it)!;
    const b = embeddings.get(it - gap)!;
    assert.ok(Math.abs((r.cka as number) - linearCka(a, b, N, DIM)) < 1e-12);
    let d = 0;
    for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
    assert.ok(Math.abs((r.drift as number) - d / N) < 1e-6, `D(${it}; ${gap})`);
    if (it <= 20) assert.ok((r.cka as number) > 1 - 1e-6 && (r.drift as number) > 1e-3, `before the start: moved (${r.drift}) but CKA ${r.cka}`);
  }
  assert.ok(f.data.some((r) => (r.iteration as number) >= 35 && (r.cka as number) < 0.99), 'after the start the geometry changes');
});

test('without snapshots both figures are skipped with the reason; one snapshot or a damaged one is said', async (t) => {
  const root = tempDir(t);
  const none = await makeRun(join(root, 'none'), { name: 'none', iterations: 40, xbmStart: 20 });
  const report = await buildReport(none);
  for (const id of ['pca-trajectories', 'cka-drift']) assert.equal(report.skipped.find((s) => s.id === id)?.reason, msg.noSnapshots);

  const one = await makeRun(join(root, 'one'), { name: 'one', iterations: 40, xbmStart: 20, dim: DIM });
  writeSnapshots(one, [10], 20);
  const r1 = await buildReport(one);
  assert.equal(r1.skipped.find((s) => s.id === 'pca-trajectories')?.reason, msg.oneSnapshot);

  const bad = await makeRun(join(root, 'bad'), { name: 'bad', iterations: 40, xbmStart: 20, dim: DIM });
  writeSnapshots(bad, [0, 10, 20], 20);
  writeFileSync(runPaths(bad).snapshot(10), 'not arrow');
  const r2 = await buildReport(bad);
  const reason = r2.skipped.find((s) => s.id === 'cka-drift')?.reason ?? '';
  assert.match(reason, /^bad: its snapshots were left out/);
  assert.match(reason, /iter-000010\.arrow/);
});
