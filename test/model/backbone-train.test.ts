import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { readFloatBundle } from '../../src/io/float-bundle.js';
import { readCsv } from '../../src/io/csv.js';
import type { MetricsRow } from '../../src/io/tables.js';
import { resumeTraining, train } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeGraphBackbone, writeLayersBackbone } from './backbone-fixtures.js';

/** A run small enough for a unit test: mnist2, 8 images per class, batch 8, a few iterations on wasm. */
function flags(out: string, more: Partial<TrainFlags>): TrainFlags {
  return {
    out, dataset: 'mnist2', imagesPerClass: 8, backend: 'wasm', threads: 1, dim: 4, classesPerBatch: 4, perClass: 2,
    probeSize: 16, snapshotEvery: 2, snapshotOffsets: '1', evalEvery: 2, checkpointEvery: 2, iterations: 3, optimizer: 'adam', lr: 0.01, ...more,
  };
}

/** The weights a model.json's weights.bin holds, by name (float32 only, one shard). */
function fileWeights(modelJson: string): Map<string, Float32Array> {
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
  const bytes = readFileSync(join(modelJson, '..', json.weightsManifest[0].paths[0]));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const w of json.weightsManifest[0].weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    out.set(w.name, all.slice(at, at + n));
    at += n;
  }
  return out;
}

function checkpointWeights(run: string): Map<string, Float32Array> {
  const latest = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')) as { dir: string };
  return new Map(readFloatBundle(join(run, 'checkpoints', latest.dir), 'weights').map((e) => [e.name, Float32Array.from(e.values)]));
}

test('train --freeze-backbone: the backbone stays bit-identical to its file, the head learns', async (t) => {
  const dir = tempDir(t);
  const path = await writeLayersBackbone(join(dir, 'bb'));
  const file = fileWeights(path);
  const heads: Float32Array[] = [];
  for (const iterations of [1, 3]) {
    const out = join(dir, `frozen-${iterations}`);
    await train(resolveTrainConfig(flags(out, { backbone: path, freezeBackbone: true, iterations })), { quiet: true });
    const cp = checkpointWeights(out);
    for (const [name, values] of file) assert.deepEqual(cp.get(`backbone/${name}`), values, `${name} unchanged`);
    heads.push(cp.get('head/kernel')!);
  }
  assert.notDeepEqual(heads[0], heads[1], 'the head changed between iteration 1 and 3');
});

test('train --backbone-lr-mult: the backbone trains, BatchNorm statistics stay; --resume is bit-identical', async (t) => {
  const dir = tempDir(t);
  const path = await writeLayersBackbone(join(dir, 'bb'));
  const file = fileWeights(path);
  const straight = join(dir, 'straight');
  await train(resolveTrainConfig(flags(straight, { backbone: path, backboneLrMult: 0.5, iterations: 4 })), { quiet: true });
  const cp = checkpointWeights(straight);
  assert.notDeepEqual(cp.get('backbone/c1/kernel'), file.get('c1/kernel'), 'the backbone trained');
  assert.deepEqual(cp.get('backbone/bn/moving_mean'), file.get('bn/moving_mean'), 'BN on inference statistics');
  assert.deepEqual(cp.get('backbone/bn/moving_variance'), file.get('bn/moving_variance'));
  const optimizer = JSON.parse(readFileSync(join(straight, 'checkpoints', 'iter-000004', 'optimizer.json'), 'utf8')) as { entries: { name: string }[] };
  assert.ok(optimizer.entries.some((e) => e.name === 'backbone:__accBeta1') && optimizer.entries.some((e) => e.name === 'rest:head/kernel/m'), 'one Adam per group');

  // Interrupted after iteration 2 (the trainer checks the signal once per iteration), then resumed.
  const resumed = join(dir, 'resumed');
  let checks = 0;
  const signal = { get aborted() { return ++checks >= 2; } } as unknown as AbortSignal;
  const first = await train(resolveTrainConfig(flags(resumed, { backbone: path, backboneLrMult: 0.5, iterations: 4 })), { quiet: true, signal });
  assert.equal(first.status, 'interrupted');
  await resumeTraining(resumed, { quiet: true });
  const a = await readCsv<MetricsRow>(join(straight, 'metrics.csv'));
  const b = await readCsv<MetricsRow>(join(resumed, 'metrics.csv'));
  assert.deepEqual(b.map((r) => [r.iteration, r.loss]), a.map((r) => [r.iteration, r.loss]));
  assert.equal(a.length, 4);
  assert.deepEqual(checkpointWeights(resumed), cp, 'the same weights at the end');
});

test('train with a GraphModel backbone: only the head is trained and checkpointed', async (t) => {
  const dir = tempDir(t);
  const path = writeGraphBackbone(join(dir, 'graph'));
  const out = join(dir, 'run');
  const record = await train(resolveTrainConfig(flags(out, { backbone: path, iterations: 2 })), { quiet: true });
  assert.equal(record.status, 'completed');
  assert.deepEqual([...checkpointWeights(out).keys()], ['head/kernel', 'head/bias']);
});

test('train: a bad backbone is one line, exit 2, and no run folder', async (t) => {
  const dir = tempDir(t);
  const fixed = await writeLayersBackbone(join(dir, 'fixed'), { inputShape: [28, 28, 1] });
  const cases: [string, RegExp][] = [
    [join(dir, 'missing', 'model.json'), /does not exist/],
    [join(dir, 'fixed', 'weights.bin'), /is not valid JSON/],
    [fixed, /expects images 28x28x1, but mnist2 gives 28x56x1/],
  ];
  for (const [backbone, message] of cases) {
    const out = join(dir, 'run');
    const r = await runCli(['train', '--dataset', 'mnist2', '--images-per-class', '8', '--backend', 'wasm', '--backbone', backbone, '--out', out, '--quiet']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});
