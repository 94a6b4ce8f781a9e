/**
 * Training on an image dataset in a published layout, end to end through the real trainer: seeded
 * augmentation, the next batch decoded during the step, the dataset's own evaluation protocol
 * (VehicleID: one eval.csv row per test set), and a resume that is bit-identical to a straight run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import type { EvalRow, MetricsRow } from '../../src/io/tables.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { resumeTraining, train } from '../../src/train/trainer.js';
import { sampleJpegs, writeVehicleId } from '../data/image-fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { stopAfter } from './stop-after.js';

test('an image dataset trains with augmentation and prefetch, evaluates per its protocol, and resumes bit-identically', async (t) => {
  const dir = tempDir(t);
  const root = join(dir, 'VehicleID');
  writeVehicleId(root, await sampleJpegs(6));
  const flags: TrainFlags = {
    out: '', dataset: `vehicleid:${root}`, imageSize: 16, backend: 'cpu', model: 'cnn', channels: '4,8', dim: 8,
    classesPerBatch: 2, perClass: 2, iterations: 6, evalEvery: 3, snapshotEvery: 3, snapshotOffsets: '1', probeSize: 8, checkpointEvery: 2, seed: 3,
  };
  const straight = await train(resolveTrainConfig({ ...flags, out: join(dir, 'a') }), { quiet: true });
  assert.equal(straight.status, 'completed');
  const evals = await readCsv<EvalRow>(join(dir, 'a', 'eval.csv'));
  // VehicleID: the 800-vehicle set is the primary 'test' row; the larger sets get their own rows.
  assert.deepEqual(evals.map((e) => [e.iteration, e.split]), [3, 6].flatMap((i) => [[i, 'test'], [i, 'test-1600'], [i, 'test-2400']]));
  assert.equal(straight.final!.split, 'test');

  // Stop after the first step (a checkpoint at 1 holds the batch already drawn for step 2), then resume.
  const stopped = await train(resolveTrainConfig({ ...flags, out: join(dir, 'b') }), { quiet: true, ...stopAfter(1) });
  assert.equal(stopped.iterationsDone, 1);
  const resumed = await resumeTraining(join(dir, 'b'), { quiet: true });
  assert.equal(resumed.status, 'completed');
  const a = await readCsv<MetricsRow>(join(dir, 'a', 'metrics.csv'));
  const b = await readCsv<MetricsRow>(join(dir, 'b', 'metrics.csv'));
  assert.deepEqual(b.map((m) => [m.iteration, m.epoch, m.loss]), a.map((m) => [m.iteration, m.epoch, m.loss]));
  assert.deepEqual(await readCsv<EvalRow>(join(dir, 'b', 'eval.csv')).then((r) => r.map((e) => e.recall_at_1)), evals.map((e) => e.recall_at_1));

  // Another seed (model init and augmentation) trains differently from the first step on.
  const other = await train(resolveTrainConfig({ ...flags, seed: 4, out: join(dir, 'c') }), { quiet: true });
  assert.equal(other.status, 'completed');
  const c = await readCsv<MetricsRow>(join(dir, 'c', 'metrics.csv'));
  assert.notEqual(c[0].loss, a[0].loss);
});
