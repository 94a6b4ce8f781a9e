/**
 * Smart mining in the real trainer and CLI: a tiny run writes its refreshes and summary; a run
 * interrupted and resumed draws the same batches as one that never stopped; bad flags are one
 * line before any file; a smart step (refresh, mined batch, trainStep) leaves no tensor behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TINY_TRAIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import type { EvalRow, MetricsRow } from '../../src/io/tables.js';
import { readIndexTable } from '../../src/io/formats/index-table.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { miningMessages as M } from '../../src/messages/mining.js';
import { resumeTraining, train } from '../../src/train/trainer.js';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { createSampler } from '../../src/data/samplers.js';
import type { Split } from '../../src/data/types.js';
import { SmartMining } from '../../src/mining/smart-mining.js';
import { trainStep } from '../../src/train/step.js';
import { Rng } from '../../src/random.js';
import { stopAfter } from '../train/stop-after.js';

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const SMART = ['--batch-mining', 'smart', '--index', 'exact', '--index-refresh', '5', '--smart-neighbours', '8', '--loss', 'triplet-global'];

test('train --batch-mining smart writes a refresh row every --index-refresh iterations, the events and the run.json summary', async (t) => {
  const out = join(tempDir(t), 'smart');
  const r = await runCli(['train', ...TINY_TRAIN, ...SMART, '--iterations', '16', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const rows = (await readIndexTable(out))!;
  assert.deepEqual(rows.map((x) => x.iteration), [5, 10, 15]);
  for (const x of rows) {
    assert.equal(x.entries, 400);
    assert.equal(x.index, 'exact');
    assert.equal(x.recall, 1, 'exact search against itself');
    assert.ok(x.ms_embed > 0 && x.ms_build >= 0 && x.ms_query > 0);
  }
  assert.ok(Number.isNaN(rows[0].drift_mean) && Number.isNaN(rows[0].age), 'no index before the first');
  for (const x of rows.slice(1)) {
    assert.equal(x.age, 5);
    assert.ok(x.drift_mean > 0 && x.drift_max >= x.drift_p90, 'the replaced index is stale');
    assert.ok(x.anchors > 0, 'anchors were mined from the replaced index');
  }
  const metrics = await readCsv<MetricsRow>(join(out, 'metrics.csv'));
  assert.deepEqual(metrics.filter((m) => String(m.event).includes('index-refresh')).map((m) => m.iteration), [5, 10, 15]);
  const summary = json(join(out, 'run.json')).smartMining;
  assert.equal(summary.refreshes, 3);
  assert.equal(summary.meanRecall, 1);
  assert.equal(summary.startNeighbours, 8);
  assert.ok(Array.isArray(summary.adjustments));
});

test('a smart-mining run interrupted and resumed draws the same batches and makes the same adjustments as one that never stopped (the index is rebuilt from the checkpoint)', async (t) => {
  const dir = tempDir(t);
  const flags: TrainFlags = {
    out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 4,
    snapshotEvery: 0, evalEvery: 20, checkpointEvery: 4, iterations: 60, batchMining: 'smart', index: 'exact', indexRefresh: 5, smartNeighbours: 16, seed: 3,
    // In-batch hard mining keeps the fraction of active pairs below the controller's band: it adjusts.
    loss: 'triplet-global', mining: 'hard', margin: 0.05,
  };
  const straight = join(dir, 'straight');
  await train(resolveTrainConfig({ ...flags, out: straight }), { quiet: true });
  const stopped = join(dir, 'stopped');
  // Stops after iteration 33, between two refreshes (the index of iteration 30 is in its checkpoint)
  // and inside a controller window.
  const first = await train(resolveTrainConfig({ ...flags, out: stopped }), { quiet: true, ...stopAfter(33) });
  assert.equal(first.status, 'interrupted');
  assert.equal(first.iterationsDone, 33);
  await resumeTraining(stopped, { quiet: true });
  const cols = (m: MetricsRow) => [m.iteration, m.loss, m.batch_active_pairs, m.event];
  const a = await readCsv<MetricsRow>(join(straight, 'metrics.csv'));
  const b = await readCsv<MetricsRow>(join(stopped, 'metrics.csv'));
  assert.equal(b.length, 60);
  assert.deepEqual(b.map(cols), a.map(cols));
  const ia = (await readIndexTable(straight))!.map((x) => [x.iteration, x.anchors, x.neighbours, x.drift_mean]);
  assert.deepEqual((await readIndexTable(stopped))!.map((x) => [x.iteration, x.anchors, x.neighbours, x.drift_mean]), ia);
  const ev = async (p: string) => (await readCsv<EvalRow>(join(p, 'eval.csv'))).map((e) => [e.iteration, e.recall_at_1]);
  assert.deepEqual(await ev(stopped), await ev(straight));
  const sa = json(join(straight, 'run.json')).smartMining;
  const sb = json(join(stopped, 'run.json')).smartMining;
  assert.equal(sb.refreshes, 11);
  assert.ok(sa.adjustments.length > 0, 'the controller adjusted k');
  assert.deepEqual(sb.adjustments, sa.adjustments);
  assert.deepEqual(a.filter((m) => String(m.event).includes('smart-')).map((m) => m.iteration), sa.adjustments.map((x: { iteration: number }) => x.iteration));
  assert.equal(sb.finalNeighbours, sa.finalNeighbours);
});

test('smart-mining flags are checked before anything is written, one line naming the fix', async (t) => {
  const base = { out: 'runs/x' };
  const refuses = (f: Partial<TrainFlags>, message: string) => assert.throws(() => resolveTrainConfig({ ...base, ...f }), { message });
  refuses({ indexRefresh: 5 }, M.needsSmartMining('--index-refresh'));
  refuses({ index: 'exact' }, M.needsSmartMining('--index'));
  refuses({ smartController: false }, M.needsSmartMining('--smart-controller'));
  refuses({ loss: 'triplet', mining: 'smart' as never }, M.miningSmartIsBatchMining);
  refuses({ batchMining: 'smart', index: 'exact', classesPerBatch: 1, perClass: 4, smartNegatives: 3 }, M.tooFewNegativesRoom(3, 4));
  refuses({ batchMining: 'smart', index: 'exact', smartNegatives: 4, smartNeighbours: 5 }, M.neighboursTooSmall(5, 4));
  assert.throws(() => resolveTrainConfig({ ...base, batchMining: 'smart', indexRefresh: 0 }), /--index-refresh/);
  const ok = resolveTrainConfig({ ...base, batchMining: 'smart', index: 'exact' });
  assert.deepEqual(ok.smartMining, { refresh: 200, index: 'exact', negatives: 2, neighbours: 32, controller: true });
  assert.equal(resolveTrainConfig(base).smartMining, undefined, 'no smart mining: config.json as before');

  const out = join(tempDir(t), 'never');
  const r = await runCli(['train', '--index-refresh', '50', '--out', out]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `xbm-drift: ${M.needsSmartMining('--index-refresh')}`);
  assert.equal(existsSync(out), false, 'no folder for a refused run');
});

test('a smart-mining step (refresh, mined batch, trainStep) leaves no tensor behind', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(5);
  const shape = [6, 6, 1] as const;
  const n = 48;
  const pixels = Float32Array.from({ length: n * 36 }, () => rng.next());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 6);
  const split = { size: n, labels, classes: [0, 1, 2, 3, 4, 5], loadImages: async (ids: ArrayLike<number>) => {
    const out = new Float32Array(ids.length * 36);
    for (let i = 0; i < ids.length; i++) out.set(pixels.subarray(ids[i] * 36, (ids[i] + 1) * 36), i * 36);
    return out;
  } } as unknown as Split;
  const model = createEmbedder({ kind: 'mlp', hidden: [16], dim: 8 }, shape, rng);
  const optimizer = tf.train.adam(1e-3);
  const loss = createLoss({ kind: 'triplet-global', margin: 0.1, mining: 'all', globalWeight: 1, globalMargin: 0.4 });
  const base = createSampler({ kind: 'pk', classesPerBatch: 2, perClass: 4 }, labels, rng.fork());
  const smart = new SmartMining({ refresh: 2, index: 'exact', negatives: 2, neighbours: 8, controller: true }, split, 8, 1, base, { rng: rng.fork() });
  const step = async (t: number) => {
    const ids = smart.sampler.next();
    const r = await trainStep(model, loss, optimizer, null, { pixels: await split.loadImages(ids), labels: Int32Array.from(ids, (i) => labels[i]), sampleIds: ids, iteration: t },
      { enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false });
    smart.observeStep(t, r.batchStats);
    if (t % 2 === 0) await smart.refresh(t, model);
  };
  await step(1); // creates the optimizer's slots
  await step(2); // the first index
  const before = tf.memory().numTensors;
  for (let t = 3; t <= 6; t++) await step(t);
  assert.equal(smart.sampler.hasIndex, true);
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  tf.disposeVariables();
});
