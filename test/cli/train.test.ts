import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TINY_TRAIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import { readSnapshot } from '../../src/io/snapshot-file.js';
import type { MetricsRow, EvalRow } from '../../src/io/tables.js';
import { configMessages } from '../../src/messages/config.js';
import { trainMessages } from '../../src/messages/train.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { train } from '../../src/train/trainer.js';
import { stopAfter } from '../train/stop-after.js';

test('train writes a complete run folder, with XBM from a fixed start', async (t) => {
  const out = join(tempDir(t), 'run');
  const r = await runCli(['train', ...TINY_TRAIN, '--iterations', '8', '--xbm-size', '20', '--xbm-start', '4', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['config.json', 'run.json', 'metrics.csv', 'eval.csv', 'probe.arrow', 'checkpoints/latest.json']) {
    assert.ok(existsSync(join(out, f)), `${f} missing`);
  }
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(run.status, 'completed');
  assert.equal(run.backend.name, 'cpu');
  assert.equal(run.xbm.start, 4);
  const metrics = await readCsv<MetricsRow>(join(out, 'metrics.csv'));
  assert.deepEqual(metrics.map((m) => m.iteration), [1, 2, 3, 4, 5, 6, 7, 8]);
  // XBM counts its loss only after the start, and the memory fills batch by batch (FIFO, capacity 20).
  assert.deepEqual(metrics.map((m) => m.xbm_active), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(metrics.map((m) => m.memory_fill), [0, 0, 0, 0, 8, 16, 20, 20]);
  assert.ok(metrics.slice(4).every((m) => m.memory_pos_pairs > 0 && m.memory_loss > 0));
  assert.ok(metrics.slice(0, 4).every((m) => m.memory_loss === 0));
  assert.ok(metrics.every((m) => m.batch_pos_pairs === 8 * 1 && m.batch_neg_pairs === 8 * 6));
  const evals = await readCsv<EvalRow>(join(out, 'eval.csv'));
  assert.deepEqual(evals.map((e) => e.iteration), [4, 8]);
  assert.ok(evals.every((e) => e.recall_at_1 >= 0 && e.recall_at_1 <= 1 && e.recall_at_8 >= e.recall_at_1));
  // Snapshots every 4 with offset 1, all of the same probe.
  const snaps = readdirSync(join(out, 'snapshots')).sort();
  // S = ceil(20 / 8) = 3 < 4, so snapshots 3 before each main one too: drift over the memory span is watched.
  assert.deepEqual(snaps, ['iter-000000.arrow', 'iter-000001.arrow', 'iter-000003.arrow', 'iter-000004.arrow', 'iter-000005.arrow', 'iter-000007.arrow', 'iter-000008.arrow']);
  const s = readSnapshot(join(out, 'snapshots', 'iter-000004.arrow'));
  assert.equal(s.n, 24);
  assert.equal(s.dim, 8);
  for (let i = 0; i < s.n; i++) {
    let norm = 0;
    for (let j = 0; j < 8; j++) norm += s.embeddings[i * 8 + j] ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-4);
  }
  assert.match(r.stdout, /R@1/);
  // eval reloads the last checkpoint and reproduces the trainer's final evaluation.
  const e = await runCli(['eval', out]);
  assert.equal(e.code, 0, e.stderr);
  const evalJson = JSON.parse(readFileSync(join(out, 'analysis', 'eval.json'), 'utf8'));
  assert.equal(evalJson.iteration, 8);
  assert.ok(Math.abs(evalJson.recall_at_1 - evals[1].recall_at_1) < 1e-12);
  assert.ok(Math.abs(evalJson.map_at_r - evals[1].map_at_r) < 1e-12);
});

test('an interrupted run resumes to the same result as an uninterrupted one, without duplicate rows', async (t) => {
  const dir = tempDir(t);
  const flags = { out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu' as const, model: 'mlp' as const, hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
    probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 4, iterations: 8, xbmSize: 20, xbmStart: '0' };
  // XBM from the start: the checkpoint at iteration 1 holds a non-empty memory that must be restored exactly.
  const straight = await train(resolveTrainConfig({ ...flags, out: join(dir, 'a') }), { quiet: true });
  // Stopped after the first step: the trainer checkpoints iteration 1 and stops.
  const stopped = await train(resolveTrainConfig({ ...flags, out: join(dir, 'b') }), { quiet: true, ...stopAfter(1) });
  assert.equal(stopped.status, 'interrupted');
  assert.equal(stopped.iterationsDone, 1);
  const r = await runCli(['train', '--resume', join(dir, 'b')]);
  assert.equal(r.code, 0, r.stderr);
  const a = await readCsv<MetricsRow>(join(dir, 'a', 'metrics.csv'));
  const b = await readCsv<MetricsRow>(join(dir, 'b', 'metrics.csv'));
  assert.deepEqual(b.map((m) => m.iteration), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(b.map((m) => m.loss), a.map((m) => m.loss));
  const runB = JSON.parse(readFileSync(join(dir, 'b', 'run.json'), 'utf8'));
  assert.equal(runB.status, 'completed');
  assert.equal(runB.resumes.length, 1);
  assert.equal(runB.final.recall_at_1, straight.final!.recall_at_1);
});

test('bad input: one clear line, exit code 2, nothing written', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'x');
  const cases: [string[], string][] = [
    [['--batch-size', '9'], configMessages.batchNotDivisible(9, 2)],
    [['--xbm-size', '5'], configMessages.memoryTooSmall(5, 8)],
    [['--iterations', '-3'], configMessages.positiveInteger('--iterations', -3)],
  ];
  for (const [extra, message] of cases) {
    const r = await runCli(['train', ...TINY_TRAIN, ...extra, '--out', out]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), `xbm-drift: ${message}`);
    assert.equal(existsSync(out), false);
  }
  const unknown = await runCli(['train', ...TINY_TRAIN.filter((a) => a !== 'mnist2' && a !== '--dataset'), '--dataset', 'nope', '--out', out]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /nope/);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(out), false);
});

test('an existing run is refused without --overwrite and left untouched', async (t) => {
  const out = join(tempDir(t), 'run');
  mkdirSync(out);
  writeFileSync(join(out, 'config.json'), '{"keep": true}');
  const r = await runCli(['train', ...TINY_TRAIN, '--iterations', '1', '--out', out]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `xbm-drift: ${trainMessages.runExists(out)}`);
  assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), '{"keep": true}');
});

test('a flag given twice is refused with one line', async (t) => {
  const out = join(tempDir(t), 'x');
  const r = await runCli(['train', ...TINY_TRAIN, '--dataset', 'mnist', '--out', out]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), 'xbm-drift: --dataset was given more than once: give it once.');
});

test('--xbm-start auto decides online from measured drift and records the decision and its evidence', async (t) => {
  const out = join(tempDir(t), 'auto');
  // threshold 4 is the maximum drift of unit vectors: the policy must fire at the first measurement.
  const r = await runCli(['train', ...TINY_TRAIN, '--iterations', '8', '--xbm-size', '20', '--xbm-start', 'auto:staleness:threshold=4,window=1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  // S = ceil(20 / 8) = 3: the first pair of snapshots 3 apart is (0, 3).
  assert.equal(run.xbm.start, 3);
  assert.equal(run.xbm.decision.policy, 'staleness');
  assert.equal(run.xbm.decision.evidence.memorySpan, 3);
  assert.equal(run.xbm.decision.evidence.drift[0].iteration, 3);
  assert.ok(run.xbm.decision.evidence.drift[0].drift > 0);
  const metrics = await readCsv<MetricsRow>(join(out, 'metrics.csv'));
  assert.equal(metrics.find((m) => m.iteration === 3)!.event, 'xbm-start');
  assert.ok(metrics.find((m) => m.iteration === 3)!.drift_s > 0);
  assert.deepEqual(metrics.map((m) => m.xbm_active), [0, 0, 0, 1, 1, 1, 1, 1]);
  assert.match(r.stdout, /started at iteration 3/);
});
