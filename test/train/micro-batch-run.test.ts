/**
 * --micro-batch through the trainer and the CLI: the flag's checks and its record in config.json
 * (none when not given), a micro-batched run that follows the whole-batch run and resumes
 * bit-identically, and the refusal before the first step of a step that cannot fit (an artificial
 * limit given in stepMemoryLimit), with the --micro-batch that fits, which then trains.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { checkRunConfig } from '../../src/train/run-config-check.js';
import { configMessages } from '../../src/messages/config.js';
import { readCsv } from '../../src/io/csv.js';
import type { MetricsRow } from '../../src/io/tables.js';
import { resumeTraining, train } from '../../src/train/trainer.js';
import { isUserError } from '../../src/errors.js';
import { stopAfter } from './stop-after.js';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** A tiny run with a memory and a compensation strategy, batch 8 (4 classes x 2). */
const FLAGS: TrainFlags = {
  out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
  probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 2, iterations: 6, xbmSize: 16, xbmStart: '2', xbmAdapt: 'moments',
};

test('--micro-batch: a whole number from 1 to the batch size; recorded in config.json only when given, and a config.json with it checks', () => {
  for (const bad of [0, -2, 1.5]) assert.throws(() => resolveTrainConfig({ ...FLAGS, out: 'x', microBatch: bad }), { message: configMessages.positiveInteger('--micro-batch', bad) });
  assert.throws(() => resolveTrainConfig({ ...FLAGS, out: 'x', microBatch: 9 }), { message: configMessages.microBatchOverBatch(9, 8) });
  const off = resolveTrainConfig({ ...FLAGS, out: 'x' });
  assert.equal('microBatch' in off, false, 'not given: config.json as before');
  assert.ok(!off.defaultsApplied!.some((d) => d.flag === 'micro-batch'));
  for (const n of [1, 3, 8]) {
    const on = resolveTrainConfig({ ...FLAGS, out: 'x', microBatch: n });
    assert.equal(on.microBatch, n);
    checkRunConfig(on, 'config.json');
  }
  const edited = { ...resolveTrainConfig({ ...FLAGS, out: 'x', microBatch: 3 }), microBatch: 12 };
  assert.throws(() => checkRunConfig(edited, 'config.json'), (e: Error) => isUserError(e) && e.message.includes(configMessages.microBatchOverBatch(12, 8).replace(/\.$/, '')));
});

test('the CLI takes --micro-batch, records it in config.json, refuses it above the batch in one line, and refuses it with --resume', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'run');
  const ok = await runCli(['train', ...tinyTrain({ '--iterations': '2', '--micro-batch': '3', '--out': out })]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(json(join(out, 'config.json')).microBatch, 3);
  const over = await runCli(['train', ...tinyTrain({ '--iterations': '2', '--micro-batch': '9', '--out': join(dir, 'over') })]);
  assert.equal(over.code, 2);
  assert.equal(over.stderr.trim(), `xbm-drift: ${configMessages.microBatchOverBatch(9, 8)}`);
  assert.equal(existsSync(join(dir, 'over')), false);
  const resumed = await runCli(['train', '--resume', out, '--micro-batch', '2']);
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /micro-batch/);
});

test('a micro-batched run follows the whole-batch run (losses within 1e-4) and resumes bit-identically', async (t) => {
  const dir = tempDir(t);
  const whole = join(dir, 'whole');
  const straight = join(dir, 'straight');
  const resumed = join(dir, 'resumed');
  await train(resolveTrainConfig({ ...FLAGS, out: whole }), { quiet: true });
  await train(resolveTrainConfig({ ...FLAGS, out: straight, microBatch: 3 }), { quiet: true });
  await train(resolveTrainConfig({ ...FLAGS, out: resumed, microBatch: 3 }), { quiet: true, ...stopAfter(3) });
  assert.equal(json(join(resumed, 'run.json')).status, 'interrupted');
  await resumeTraining(resumed, { quiet: true });
  const rows = async (run: string) => readCsv<MetricsRow>(join(run, 'metrics.csv'));
  const [w, s, r] = [await rows(whole), await rows(straight), await rows(resumed)];
  assert.ok(s.some((m) => m.xbm_active && m.memory_active_pairs > 0), 'the memory term ran');
  assert.deepEqual(r.map((m) => [m.iteration, m.loss, m.batch_loss, m.memory_loss]), s.map((m) => [m.iteration, m.loss, m.batch_loss, m.memory_loss]), 'resume: bit-identical');
  s.forEach((m, i) => assert.ok(Math.abs(m.loss - w[i].loss) <= 1e-4 * Math.abs(w[i].loss), `iteration ${m.iteration}: loss ${m.loss} vs ${w[i].loss} on the whole batch`));
  assert.equal(json(join(resumed, 'config.json')).microBatch, 3);
});

/** '1.5 MiB' in a message -> bytes (three significant digits, as the message gives them). */
function neededBytes(message: string): number {
  const [, value, unit] = /needs about ([\d.]+) (bytes|KiB|MiB|GiB)/.exec(message) ?? assert.fail(`no size in: ${message}`);
  return Number(value) * 1024 ** ['bytes', 'KiB', 'MiB', 'GiB'].indexOf(unit);
}

test('a step over the memory limit is refused before the first step, in one line naming what it needs and the --micro-batch that fits; that one trains; a step near the limit trains with a warning', async (t) => {
  const dir = tempDir(t);
  // A model whose activations outweigh its weights, so chunks help: a small CNN on 28 x 56 images, batch 16.
  const flags: TrainFlags = { ...FLAGS, model: 'cnn', hidden: undefined, channels: '8,8', classesPerBatch: 8, iterations: 3 };
  const refusal = async (out: string, microBatch: number | undefined, stepMemoryLimit: number): Promise<string> => {
    const error = await train(resolveTrainConfig({ ...flags, out, microBatch }), { quiet: true, stepMemoryLimit }).then(() => null, (e: Error) => e);
    assert.ok(error && isUserError(error), `refused: ${error}`);
    assert.equal(error.message.split('\n').length, 1);
    assert.equal(existsSync(out), false, 'nothing written');
    return error.message;
  };
  const whole = neededBytes(await refusal(join(dir, 'a'), undefined, 1));
  const chunked = neededBytes(await refusal(join(dir, 'b'), 2, 1));
  assert.ok(chunked < whole, `--micro-batch 2 needs less (${chunked} bytes) than the whole batch (${whole})`);
  const limit = Math.floor((whole + chunked) / 2);
  const out = join(dir, 'run');
  const message = await refusal(out, undefined, limit);
  assert.match(message, /^A training step at batch 16 needs about [\d.]+ \w+ of tensors, over the [\d.]+ \w+ of the limit given \(stepMemoryLimit\): nothing was written\. Add --micro-batch \d+ \(about [\d.]+ \w+; the same update, chunk by chunk\), or use a smaller --batch-size\.$/);
  const suggested = Number(/Add --micro-batch (\d+)/.exec(message)![1]);
  assert.ok(suggested >= 2 && 16 % suggested === 0, `suggests a divisor of the batch: ${suggested}`);
  const record = await train(resolveTrainConfig({ ...flags, out, microBatch: suggested }), { quiet: true, stepMemoryLimit: limit });
  assert.equal(record.status, 'completed');
  assert.ok(!json(join(out, 'run.json')).backend.notes.some((n: string) => n.startsWith('Warning: a training step')), 'the suggested chunk leaves room: no warning');
  // Within the limit but above three quarters of it: trains, with a warning in run.json's backend notes.
  const near = join(dir, 'near');
  await train(resolveTrainConfig({ ...flags, out: near }), { quiet: true, stepMemoryLimit: Math.ceil(whole * 1.1) });
  const notes: string[] = json(join(near, 'run.json')).backend.notes;
  assert.ok(notes.some((n) => /^Warning: a training step at batch 16 needs about [\d.]+ \w+ of tensors, (8\d|9\d)% of the [\d.]+ \w+ of the limit given \(stepMemoryLimit\); the backend's scratch buffers come on top, so it may fail or stall: --micro-batch \d+ needs about/.test(n)), notes.join(' | '));
  assert.match(await refusal(join(dir, 'c'), undefined, 1), /Even --micro-batch 1 needs about/);
});

test('the CLI on wasm: a step over the 4 GiB heap is refused in one line before anything is written, suggesting --micro-batch, also when one is given', async (t) => {
  const dir = tempDir(t);
  // About 15 GiB of activations at batch 1024 (256 channels at 28 x 56); a chunk of 128 fits.
  const args = (out: string, extra: string[] = []) => ['train', '--backend', 'wasm', '--threads', '1', '--dataset', 'mnist2', '--sampler', 'shuffle', '--batch-size', '1024',
    '--model', 'cnn', '--channels', '256,256,256', '--iterations', '2', '--eval-every', '0', '--snapshot-every', '0', '--out', out, ...extra];
  const whole = await runCli(args(join(dir, 'a')));
  assert.equal(whole.code, 2, whole.stderr);
  assert.match(whole.stderr.trim(), /^xbm-drift: A training step at batch 1024 needs about [\d.]+ GiB of tensors, over the 4 GiB of a wasm32 heap \(all it can address\): nothing was written\. Add --micro-batch (\d+) \(about [\d.]+ GiB; the same update, chunk by chunk\), or use a smaller --batch-size\.$/);
  assert.equal(existsSync(join(dir, 'a')), false);
  const chunked = await runCli(args(join(dir, 'b'), ['--micro-batch', '512']));
  assert.equal(chunked.code, 2, chunked.stderr);
  assert.match(chunked.stderr.trim(), /^xbm-drift: A training step at batch 1024 with --micro-batch 512 needs about [\d.]+ GiB .* Use --micro-batch \d+ \(about/);
  assert.equal(chunked.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(dir, 'b')), false);
});
