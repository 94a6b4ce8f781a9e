import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildFigures, figureContext } from '../../src/report/build-report.js';
import { movingAverage, thin, type FigureContext } from '../../src/report/figures/common.js';
import { driftFigure } from '../../src/report/figures/drift.js';
import { lossesFigure } from '../../src/report/figures/losses.js';
import { miningFigure } from '../../src/report/figures/mining.js';
import { equivalentBatch, resourceRows, resourcesFigure } from '../../src/report/figures/resources.js';
import { retrievalFigure } from '../../src/report/figures/retrieval.js';
import { stalenessFigure } from '../../src/report/figures/staleness.js';
import { sweepBatchFigure, sweepMemoryFigure } from '../../src/report/figures/sweeps.js';
import { assignKeys, loadRun } from '../../src/report/load-run.js';
import { reportMessages } from '../../src/messages/report.js';
import { representationMessages } from '../../src/messages/representation.js';
import type { Figure, FigureOutcome, FigureInput, RunTables } from '../../src/report/types.js';
import { buildReport } from '../../src/report/build-report.js';
import { makePair, makeRun, makeSweep } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

type AnySpec = Record<string, any>;

async function pairInput(t: { after: (fn: () => void) => void }, o = {}): Promise<{ input: FigureInput; ctx: FigureContext; runs: RunTables[] }> {
  const { baseline, xbm } = await makePair(tempDir(t), { iterations: 200, ...o });
  const runs = assignKeys([await loadRun(baseline), await loadRun(xbm)]);
  return { input: { runs, sweeps: [] }, ctx: figureContext(runs, {}), runs };
}

function fig(o: FigureOutcome): Figure {
  assert.equal(o.kind, 'figure', o.kind === 'skipped' ? o.skipped.reason : '');
  return (o as { figure: Figure }).figure;
}

/** Every object in a spec, depth first. */
function nodes(x: unknown, out: AnySpec[] = []): AnySpec[] {
  if (Array.isArray(x)) x.forEach((v) => nodes(v, out));
  else if (x && typeof x === 'object') {
    out.push(x as AnySpec);
    Object.values(x).forEach((v) => nodes(v, out));
  }
  return out;
}

test('drift: one line per gap on a log scale, one panel per run, the start ruled and labelled with its policy', async (t) => {
  const { input, ctx } = await pairInput(t);
  const f = fig(driftFigure(input, ctx));
  const spec = f.spec as AnySpec;
  assert.equal(spec.vconcat.length, 2);
  assert.deepEqual(spec.vconcat.map((p: AnySpec) => p.title.text), ['baseline', 'xbm']);
  const line = spec.vconcat[1].layer[0];
  assert.equal(line.encoding.y.scale.type, 'log');
  assert.equal(line.encoding.color.field, 'gap');
  assert.deepEqual(line.encoding.color.scale.domain, [1, 10, 50]);
  assert.deepEqual([...new Set(f.data.map((r) => r.gap))], [1, 10, 50]);
  assert.ok(f.data.every((r) => (r.mean as number) > 0), 'f.data.every((r) => (r.mean as number) > 0)');
  assert.deepEqual(spec.datasets.markers.map((m: AnySpec) => [m.run, m.iteration, m.label]), [['xbm', 100, ['XBM start 100', '(staleness)']]]);
  assert.ok(spec.vconcat[1].layer.some((l: AnySpec) => l.mark.type === 'rule' && l.data.name === 'markers'), 'spec.vconcat[1].layer.some((l: AnySpec) => l.mark.type === \'rule\' && l.data.name === \'m');
  assert.ok(!spec.vconcat[0].layer.some((l: AnySpec) => l.data.name === 'markers'), 'the baseline never started XBM');
  assert.deepEqual(spec.datasets.thresholds.map((r: AnySpec) => [r.run, r.value]), [['xbm', 0.02]]);
  assert.ok(f.notes.some((n) => n.includes('S = ceil(M/B) = 16')), 'f.notes.some((n) => n.includes(\'S = ceil(M/B) = 16\'))');
});

test('drift: a single run has one panel; runs without drift.csv are named with the command that makes it', async (t) => {
  const root = tempDir(t);
  const a = await loadRun(await makeRun(join(root, 'a'), { name: 'a', iterations: 80 }));
  const b = await loadRun(await makeRun(join(root, 'b'), { name: 'b', iterations: 80, files: { drift: false } }));
  const ctx = figureContext([a, b], {});
  const f = fig(driftFigure({ runs: [a, b], sweeps: [] }, ctx));
  assert.ok(Array.isArray((f.spec as AnySpec).layer), 'one run: a layered unit, no vconcat');
  assert.deepEqual(f.warnings, [reportMessages.missingDrift('b', b.dir)]);
  assert.match(f.warnings[0], /xbm-drift drift /);
  const none = driftFigure({ runs: [b], sweeps: [] }, ctx);
  assert.equal(none.kind, 'skipped');
});

test('retrieval: R@1 and MAP@R per evaluation, colour by run with the report-wide domain', async (t) => {
  const { input, ctx, runs } = await pairInput(t);
  const f = fig(retrievalFigure(input, ctx));
  const evals = runs.reduce((n, r) => n + r.eval!.length, 0);
  assert.equal(f.data.length, 2 * evals);
  assert.deepEqual([...new Set(f.data.map((r) => r.metric))], ['R@1', 'MAP@R']);
  const line = (f.spec as AnySpec).layer[0];
  assert.deepEqual(line.encoding.color.scale.domain, ['baseline', 'xbm']);
  assert.deepEqual(line.encoding.color.scale.range, ctx.theme.palette);
  assert.equal((f.spec as AnySpec).datasets.markers.length, 1);
});

test('losses: memory loss only while XBM is active; smoothing is a trailing moving average', async (t) => {
  const { input, runs } = await pairInput(t);
  const ctx = figureContext(runs, { smooth: 5 });
  const f = fig(lossesFigure(input, ctx));
  const mem = f.data.filter((r) => r.series === 'memory');
  assert.ok(mem.length > 0 && mem.every((r) => r.run === 'xbm' && (r.iteration as number) >= 100), 'mem.length > 0 && mem.every((r) => r.run === \'xbm\' && (r.iteration as number) >= 100)');
  const xb = f.data.filter((r) => r.series === 'batch' && r.run === 'xbm');
  const raw = runs[1].metrics!.map((m) => m.batch_loss);
  const i = 10;
  const expected = raw.slice(i - 4, i + 1).reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs((xb[i].smoothed as number) - expected) < 1e-12, 'Math.abs((xb[i].smoothed as number) - expected) < 1e-12');
  assert.equal((f.spec as AnySpec).layer.filter((l: AnySpec) => l.mark.type === 'line').length, 2, 'raw + smoothed');
  const plain = fig(lossesFigure(input, figureContext(runs, {})));
  assert.ok(!('smoothed' in plain.data[0]), '!(\'smoothed\' in plain.data[0])');
});

test('mining: pairs per anchor = pairs / batch size, batch and memory, for positives, negatives and active pairs', async (t) => {
  const { input, ctx, runs } = await pairInput(t, { batchSize: 32 });
  const f = fig(miningFigure(input, ctx));
  const m = runs[1].metrics![150];
  const at = (kind: string, source: string) => f.data.find((r) => r.run === 'xbm' && r.iteration === 150 && r.kind === kind && r.source === source)!;
  assert.equal(at('negative', 'batch').per_anchor, m.batch_neg_pairs / 32);
  assert.equal(at('active', 'memory').per_anchor, m.memory_active_pairs / 32);
  assert.ok(!f.data.some((r) => r.source === 'memory' && (r.iteration as number) < 100), '!f.data.some((r) => r.source === \'memory\' && (r.iteration as number) < 100)');
  assert.deepEqual((f.spec as AnySpec).facet.column.sort, ['positive', 'negative', 'active']);
});

test('staleness: age band and true drift; age only with a note; skipped when no memory ever filled', async (t) => {
  const { input, ctx, runs } = await pairInput(t);
  const f = fig(stalenessFigure(input, ctx));
  assert.equal((f.spec as AnySpec).hconcat.length, 2);
  assert.ok(f.data.some((r) => r.source === 'drift') && f.data.some((r) => r.source === 'age'), 'f.data.some((r) => r.source === \'drift\') && f.data.some((r) => r.source === \'age\')');
  const noStale = { ...runs[1], staleness: null };
  const ageOnly = fig(stalenessFigure({ runs: [runs[0], noStale], sweeps: [] }, ctx));
  assert.ok(!('hconcat' in (ageOnly.spec as AnySpec)), '!(\'hconcat\' in (ageOnly.spec as AnySpec))');
  assert.equal(ageOnly.notes.at(-1), reportMessages.noStaleness);
  const none = stalenessFigure({ runs: [runs[0]], sweeps: [] }, ctx);
  assert.deepEqual(none, { kind: 'skipped', skipped: { id: 'staleness', title: 'Memory staleness', reason: reportMessages.noMemory } });
});

test('equivalent batch: B\'(B\'-1) >= B(B-1) + B*M, and B\' is the smallest such batch', () => {
  assert.equal(equivalentBatch(64, 0), 64);
  for (const [b, m] of [[16, 3000], [64, 55000], [128, 8192], [3, 1]]) {
    const e = equivalentBatch(b, m);
    assert.ok(e * (e - 1) >= b * (b - 1) + b * m, `${b},${m}`);
    assert.ok((e - 1) * (e - 2) < b * (b - 1) + b * m, `${b},${m} minimal`);
  }
  assert.equal(equivalentBatch(64, 1000), 262);
});

test('resources: a baseline has no memory; bytes from the metrics; a table spec with one column per quantity', async (t) => {
  const { input, ctx, runs } = await pairInput(t);
  const rows = resourceRows(runs);
  assert.deepEqual(rows.map((r) => [r.run, r.memory, r.memory_bytes, r.equivalent_batch]), [
    ['baseline', 0, 0, 64],
    ['xbm', 1000, 1000 * 64 * 4, 262],
  ]);
  const f = fig(resourcesFigure(input, ctx));
  assert.equal((f.spec as AnySpec).hconcat.length, 7);
  assert.equal(resourcesFigure({ runs: [], sweeps: [] }, ctx).kind, 'skipped');
});

test('sweep figures: R@1 vs batch with XBM on/off, R@1 vs memory with the no-XBM baseline dashed', async (t) => {
  const root = tempDir(t);
  await makeSweep(join(root, 'b'), [{ key: 'batch', values: ['16', '32', '64'] }, { key: 'xbm', values: ['off', 'on'] }], { missing: ['batch-64_xbm-on'] });
  await makeSweep(join(root, 'm'), [{ key: 'memory', values: ['256', '1024'] }, { key: 'xbm', values: ['on', 'off'] }]);
  const rb = await buildReport(join(root, 'b'));
  const batch = rb.figures.find((f) => f.id === 'sweep-batch')!;
  assert.equal(batch.data.length, 5);
  assert.deepEqual(batch.warnings, [reportMessages.incompletePoints(1)]);
  const spec = batch.spec as AnySpec;
  assert.equal(spec.layer[0].encoding.x.scale.type, 'log');
  assert.deepEqual(spec.layer[0].encoding.x.axis.values, [16, 32, 64]);
  assert.deepEqual(spec.layer[0].encoding.color.scale.domain, ['off', 'on']);
  const r1 = (b: number, x: string) => batch.data.find((r) => r.batch === b && r.xbm === x)!.recall_at_1 as number;
  assert.ok(r1(16, 'on') > r1(32, 'off'), 'fixture shape: XBM at 16 beats no XBM at 32');
  assert.deepEqual(rb.skipped.find((s) => s.id === 'sweep-memory')?.reason, reportMessages.noSweepMemory, 'one memory size: nothing to plot');

  const rm = await buildReport(join(root, 'm'), { force: true });
  const mem = rm.figures.find((f) => f.id === 'sweep-memory')!;
  assert.deepEqual(mem.data.filter((r) => r.xbm === 'on').map((r) => r.memory), [256, 1024]);
  assert.ok((mem.spec as AnySpec).layer.some((l: AnySpec) => l.mark.type === 'rule'), 'baseline rule');
  assert.equal(sweepBatchFigure({ runs: [], sweeps: [] }, figureContext([], {})).kind, 'skipped');
  assert.equal(sweepMemoryFigure({ runs: [], sweeps: [] }, figureContext([], {})).kind, 'skipped');
});

test('a run keeps its colour across all figures: every run-coloured channel has the same domain and range', async (t) => {
  const root = tempDir(t);
  const { baseline, xbm } = await makePair(root, { iterations: 120 });
  const third = await makeRun(join(root, 'third'), { name: 'third', iterations: 120, xbmStart: 60 });
  for (const theme of ['default', 'paper'] as const) {
    const rep = await buildReport([xbm, third, baseline], { theme });
    let channels = 0;
    for (const f of rep.figures)
      for (const n of nodes(f.spec))
        if (n.field === 'run' && n.scale) {
          channels++;
          assert.deepEqual(n.scale.domain, ['xbm', 'third', 'baseline'], f.id);
          assert.deepEqual(n.scale.range, rep.figures[0].spec.config!.range!.category, f.id);
        }
    assert.ok(channels >= 5, `${channels} run-coloured channels`);
  }
});

test('thin keeps the ends and spaces evenly; movingAverage skips NaN', () => {
  assert.deepEqual(thin([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4), [0, 3, 6, 9]);
  assert.deepEqual(thin([1, 2], 5), [1, 2]);
  assert.deepEqual(movingAverage([1, 3, NaN, 5], 2), [1, 2, 2, 4]);
  assert.deepEqual(movingAverage([1, 2], 1), [1, 2]);
});

test('buildFigures returns each figure or a skip with its reason, never both', async (t) => {
  const { input, ctx } = await pairInput(t);
  const { figures, skipped } = buildFigures(input, ctx);
  assert.deepEqual(figures.map((f) => f.id), ['drift', 'retrieval', 'retrieval-time', 'losses', 'mining', 'staleness', 'decision-flips', 'resources']);
  assert.deepEqual(skipped.map((s) => s.id), ['pca-trajectories', 'cka-drift', 'memory-staleness', 'smart-index', 'sweep-batch', 'sweep-memory']);
  assert.ok(skipped.slice(0, 2).every((s) => s.reason === representationMessages.noSnapshots), 'no snapshots: no trajectories, no CKA');
  assert.equal(skipped[2].reason, reportMessages.noMemoryStaleness);
  assert.equal(skipped[3].reason, reportMessages.noIndex);
  assert.ok(skipped.slice(4).every((s) => s.reason === reportMessages.noSweep), 'skipped.every((s) => s.reason === reportMessages.noSweep)');
});
