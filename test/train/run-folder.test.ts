import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import type { MetricsRow } from '../../src/io/tables.js';
import { trainMessages as M } from '../../src/messages/train.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { train } from '../../src/train/trainer.js';

const FLAGS: TrainFlags = { out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
  probeSize: 24, snapshotEvery: 5, snapshotOffsets: '1', evalEvery: 5, checkpointEvery: 5, iterations: 10, xbmSize: 16, xbmStart: '3' };

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** A user's files in a folder, to check that they survive. */
function plantUserFiles(dir: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'thesis.tex'), '\\documentclass{article}\n');
  writeFileSync(join(dir, 'sub', 'notes.txt'), 'mine\n');
}
function assertUserFiles(dir: string): void {
  assert.equal(readFileSync(join(dir, 'thesis.tex'), 'utf8'), '\\documentclass{article}\n');
  assert.equal(readFileSync(join(dir, 'sub', 'notes.txt'), 'utf8'), 'mine\n');
}

/** A run stopped (as by Ctrl-C) after iteration `at`, with its checkpoint there. */
async function interruptedRun(out: string, at: number): Promise<void> {
  const stop = new AbortController();
  const r = await train(resolveTrainConfig({ ...FLAGS, out }), { quiet: true, signal: stop.signal, onIteration: (t) => t === at && stop.abort() });
  assert.equal(r.status, 'interrupted');
  assert.equal(r.iterationsDone, at);
}

test('train refuses a non-empty folder that holds no run, with or without --overwrite, and changes nothing in it', async (t) => {
  const dir = join(tempDir(t), 'd');
  plantUserFiles(dir);
  for (const extra of [[], ['--overwrite']]) {
    const r = await runCli(['train', ...tinyTrain({ '--iterations': '2', '--out': dir }), ...extra]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `xbm-drift: ${M.outNotARun(dir)}`);
    assertUserFiles(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['sub', 'thesis.tex']);
  }
});

test('--overwrite replaces a run but keeps every file the run did not write', async (t) => {
  const dir = join(tempDir(t), 'd');
  const first = await runCli(['train', ...tinyTrain({ '--iterations': '4', '--out': dir })]);
  assert.equal(first.code, 0, first.stderr);
  plantUserFiles(dir);
  const again = await runCli(['train', ...tinyTrain({ '--iterations': '2', '--out': dir }), '--overwrite']);
  assert.equal(again.code, 0, again.stderr);
  assertUserFiles(dir);
  assert.equal(json(join(dir, 'run.json')).iterationsDone, 2);
  assert.deepEqual((await readCsv<MetricsRow>(join(dir, 'metrics.csv'))).map((m) => m.iteration), [1, 2]);
});

test('resume after damage: a checkpoint without latest.json, a junk metrics line, a bad config.json; a finished resume clears the interrupt', async (t) => {
  const dir = tempDir(t);
  const straight = join(dir, 'straight');
  await train(resolveTrainConfig({ ...FLAGS, out: straight }), { quiet: true });
  const expected = (await readCsv<MetricsRow>(join(straight, 'metrics.csv'))).map((m) => [m.iteration, m.loss, m.memory_loss]);
  const base = join(dir, 'base');
  await interruptedRun(base, 5);
  assert.match(json(join(base, 'run.json')).message, /Interrupted after iteration 5/);

  // kill -9 after checkpoints/iter-000005 was renamed into place, before latest.json was written.
  const killed = join(dir, 'killed');
  cpSync(base, killed, { recursive: true });
  rmSync(join(killed, 'checkpoints', 'latest.json'));
  writeFileSync(join(killed, 'run.json'), JSON.stringify({ ...json(join(killed, 'run.json')), status: 'running', message: undefined }));
  const k = await runCli(['train', '--resume', killed]);
  assert.equal(k.code, 0, k.stderr);
  assert.deepEqual((await readCsv<MetricsRow>(join(killed, 'metrics.csv'))).map((m) => [m.iteration, m.loss, m.memory_loss]), expected);

  // A junk line after the checkpoint's rows: dropped, never kept beside the real row 5.
  const junk = join(dir, 'junk');
  cpSync(base, junk, { recursive: true });
  appendFileSync(join(junk, 'metrics.csv'), '5,garbage,,\nnot a row at all\n');
  const j = await runCli(['train', '--resume', junk]);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual((await readCsv<MetricsRow>(join(junk, 'metrics.csv'))).map((m) => [m.iteration, m.loss, m.memory_loss]), expected);
  // The finished run no longer says it was interrupted, in run.json or in its summary.
  const record = json(join(junk, 'run.json'));
  assert.equal(record.status, 'completed');
  assert.equal(record.message, undefined);
  assert.doesNotMatch(j.stdout, /Interrupted/);

  // config.json edited into something no start would accept: refused in one line, nothing changed.
  for (const [field, edit] of [['iterations', (c: Record<string, unknown>) => ({ ...c, iterations: -5 })], ['lr', (c: Record<string, unknown>) => ({ ...c, optimizer: { kind: 'adam', lr: 'fast', momentum: 0.9 } })]] as const) {
    const bad = join(dir, `bad-${field}`);
    cpSync(base, bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), JSON.stringify(edit(json(join(bad, 'config.json')))));
    const before = readFileSync(join(bad, 'metrics.csv'), 'utf8');
    const b = await runCli(['train', '--resume', bad]);
    assert.equal(b.code, 2, b.stderr);
    assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    assert.match(b.stderr, new RegExp(`config\\.json.*${field}`));
    assert.equal(json(join(bad, 'run.json')).status, 'interrupted');
    assert.equal(readFileSync(join(bad, 'metrics.csv'), 'utf8'), before);
  }
});

test('aborted before the run folder exists: nothing is created and the signal\'s reason is thrown', async (t) => {
  const out = join(tempDir(t), 'never');
  const stop = new AbortController();
  stop.abort('SIGINT');
  await assert.rejects(train(resolveTrainConfig({ ...FLAGS, out }), { quiet: true, signal: stop.signal }), (e) => e === 'SIGINT');
  assert.equal(existsSync(out), false);
});
