/**
 * The figures that compare smart mining with the other methods: retrieval against training time
 * (refreshes counted) and the index's staleness, cost and recall (index.csv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport, figureContext } from '../../src/report/build-report.js';
import { smartIndexFigure } from '../../src/report/figures/smart-index.js';
import { specToSvg } from '../../src/report/render-svg.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { train } from '../../src/train/trainer.js';
import { readCsv } from '../../src/io/csv.js';
import { readIndexTable, type IndexRefreshRow } from '../../src/io/formats/index-table.js';
import type { MetricsRow } from '../../src/io/tables.js';
import type { RunTables } from '../../src/report/types.js';
import { compareGolden } from './golden.js';
import { tempDir } from '../helpers/tmp.js';

const TINY: Omit<TrainFlags, 'out'> = {
  dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
  snapshotEvery: 0, evalEvery: 6, checkpointEvery: 0, iterations: 12, loss: 'triplet',
};

test('report of a baseline and a smart-mining run: retrieval against time counts the refreshes; the index figure shows every refresh', async (t) => {
  const dir = tempDir(t);
  const base = join(dir, 'base');
  const smart = join(dir, 'smart');
  await train(resolveTrainConfig({ ...TINY, out: base }), { quiet: true });
  await train(resolveTrainConfig({ ...TINY, out: smart, loss: 'triplet-global', batchMining: 'smart', index: 'exact', indexRefresh: 4, smartNeighbours: 8 }), { quiet: true });
  const report = await buildReport([base, smart]);
  const ids = report.figures.map((f) => f.id);
  assert.ok(ids.includes('retrieval-time') && ids.includes('smart-index'), ids.join(','));
  const timed = report.figures.find((f) => f.id === 'retrieval-time')!.data;
  // Naive: the smart run's seconds at its last evaluation, from its own files.
  const metrics = await readCsv<MetricsRow>(join(smart, 'metrics.csv'));
  const refreshes = (await readIndexTable(smart))!;
  const expected = (metrics.reduce((a, m) => a + m.ms_per_iteration, 0) + refreshes.reduce((a, x) => a + x.ms_embed + x.ms_build, 0)) / 1000;
  const last = timed.find((r) => r.run === 'smart' && r.iteration === 12 && r.metric === 'R@1')!;
  assert.ok(Math.abs((last.seconds as number) - expected) < 1e-9, `${last.seconds} vs ${expected}`);
  const baseLast = timed.find((r) => r.run === 'base' && r.iteration === 12 && r.metric === 'R@1')!;
  const baseMetrics = await readCsv<MetricsRow>(join(base, 'metrics.csv'));
  assert.ok(Math.abs((baseLast.seconds as number) - baseMetrics.reduce((a, m) => a + m.ms_per_iteration, 0) / 1000) < 1e-9);
  const index = report.figures.find((f) => f.id === 'smart-index')!.data;
  assert.deepEqual([...new Set(index.filter((r) => r.panel === 'cost').map((r) => r.iteration))], [4, 8]);
  assert.ok(index.every((r) => r.run === 'smart'));
});

test('the smart-index figure of a fixed input matches its golden SVG (UPDATE_GOLDEN=1 to accept a change)', async () => {
  const row = (iteration: number, drift: number, embed: number, recall: number): IndexRefreshRow => ({
    iteration, entries: 3000, index: 'hnsw', neighbours: 32, ms_embed: embed, ms_build: embed / 4, ms_query: 0.05, recall_k: 10, recall,
    age: iteration === 100 ? NaN : 100, drift_mean: iteration === 100 ? NaN : drift, drift_median: drift * 0.8, drift_p90: drift * 2, drift_max: drift * 4,
    anchors: 400, positive_fallbacks: 3, negative_fallbacks: 5,
  });
  const runs = [
    { key: 'smart', index: [row(100, 0, 900, 0.97), row(200, 0.4, 950, 0.98), row(300, 0.2, 920, 0.99), row(400, 0.1, 910, 0.99)] },
    { key: 'base', index: null },
  ] as unknown as RunTables[];
  const out = smartIndexFigure({ runs, sweeps: [] }, figureContext(runs, {}));
  assert.equal(out.kind, 'figure');
  if (out.kind !== 'figure') return;
  assert.equal(out.figure.data.filter((r) => r.panel === 'staleness').length, 6, 'no staleness before the first index');
  const { svg } = await specToSvg(out.figure.spec);
  assert.equal(compareGolden('smart-index', svg), null);
  const none = smartIndexFigure({ runs: [runs[1]], sweeps: [] }, figureContext([runs[1]], {}));
  assert.equal(none.kind, 'skipped');
});
