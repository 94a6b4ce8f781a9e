import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { readCsv } from '../../src/io/csv.js';
import { runPaths } from '../../src/io/run-paths.js';
import type { EvalRow } from '../../src/io/tables.js';
import { evaluateRun } from '../../src/index.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

test('evaluateRun reloads the last checkpoint and reproduces the trainer\'s final evaluation', async (t) => {
  const out = join(tempDir(t), 'run');
  await train(resolveTrainConfig({
    out, dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
    probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 4, iterations: 4,
  }), { quiet: true });
  const last = (await readCsv<EvalRow>(runPaths(out).eval)).at(-1)!;
  const dry = await evaluateRun(out, { write: false, ks: [1, 2] });
  assert.equal(dry.written, null);
  assert.equal(existsSync(join(runPaths(out).analysis, 'eval.json')), false);
  assert.deepEqual(dry.checkpoint.iteration, 4);
  assert.deepEqual(dry.ks, [1, 2]);
  assert.ok(dry.testImages > 0 && dry.testClasses > 0);
  const r = await evaluateRun(out);
  assert.equal(r.written, join(runPaths(out).analysis, 'eval.json'));
  const saved = JSON.parse(readFileSync(r.written!, 'utf8'));
  assert.equal(saved.iteration, 4);
  assert.equal(saved.checkpoint, r.checkpoint.dir);
  for (const key of ['recall_at_1', 'recall_at_2', 'map_at_r'] as const) {
    assert.ok(Math.abs(r.row[key] - last[key]) < 1e-12, `${key}: ${r.row[key]} vs ${last[key]}`);
    assert.equal(saved[key], r.row[key]);
  }
});
