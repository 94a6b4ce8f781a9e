import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init-backend.js';
import { modelMessages as M } from '../../src/messages/model.js';
import { pretrain, type PretrainConfig } from '../../src/train/pretrain.js';
import { tempDir } from '../helpers/tmp.js';
import { folderSnapshot } from '../helpers/files.js';

// pretrain saves by renaming a finished folder over --out: it may only ever replace a folder
// that holds nothing but a backbone pretrain itself wrote.

before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const tiny = (out: string, more: Partial<PretrainConfig> = {}): PretrainConfig => ({
  dataset: 'mnist', out, model: { kind: 'mlp', hidden: [8], dim: 1 }, iterations: 1, batchSize: 8, lr: 1e-3, seed: 1,
  backend: 'wasm', threads: 1, overwrite: false, command: 'xbm-drift pretrain --iterations 1', ...more,
});

test('pretrain refuses a folder holding user files, with or without --overwrite, and they survive', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'd');
  mkdirSync(join(out, 'sub'), { recursive: true });
  writeFileSync(join(out, 'thesis.tex'), 'x');
  writeFileSync(join(out, 'sub', 'notes.txt'), 'y');
  const before = folderSnapshot(out);
  for (const overwrite of [false, true]) {
    await assert.rejects(pretrain(tiny(out, { overwrite })), { name: 'UserError', message: M.pretrainOutForeign(out, 'sub') });
    assert.deepEqual(folderSnapshot(out), before);
    assert.deepEqual(readdirSync(dir), ['d'], 'no temporary left');
  }
});

test('pretrain refuses a run folder, and a model.json it did not write, even with --overwrite', async (t) => {
  const dir = tempDir(t);
  const run = join(dir, 'run');
  mkdirSync(join(run, 'checkpoints'), { recursive: true });
  writeFileSync(join(run, 'config.json'), '{"iterations": 40}');
  writeFileSync(join(run, 'run.json'), '{"status": "completed"}');
  writeFileSync(join(run, 'metrics.csv'), 'iteration,loss\n1,0.5\n');
  const runBefore = folderSnapshot(run);
  await assert.rejects(pretrain(tiny(run, { overwrite: true })), { name: 'UserError', message: M.pretrainOutForeign(run, 'checkpoints') });
  assert.deepEqual(folderSnapshot(run), runBefore);

  const converted = join(dir, 'converted');
  mkdirSync(converted);
  writeFileSync(join(converted, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential' } }));
  writeFileSync(join(converted, 'weights.bin'), 'w');
  const convertedBefore = folderSnapshot(converted);
  await assert.rejects(pretrain(tiny(converted, { overwrite: true })), { name: 'UserError', message: M.pretrainOutForeign(converted, 'model.json') });
  assert.deepEqual(folderSnapshot(converted), convertedBefore);
});

test('pretrain writes into an empty folder, and --overwrite replaces only its own backbone; a user file added beside it blocks that', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'bb');
  mkdirSync(out);
  await pretrain(tiny(out));
  assert.deepEqual(readdirSync(out).sort(), ['README.md', 'model.json', 'weights.bin']);
  await assert.rejects(pretrain(tiny(out)), { name: 'UserError', message: M.pretrainOutExists(out) });
  await pretrain(tiny(out, { overwrite: true, seed: 2 }));
  assert.deepEqual(readdirSync(dir), ['bb']);

  writeFileSync(join(out, 'thesis.tex'), 'x');
  const before = folderSnapshot(out);
  await assert.rejects(pretrain(tiny(out, { overwrite: true })), { name: 'UserError', message: M.pretrainOutForeign(out, 'thesis.tex') });
  assert.deepEqual(folderSnapshot(out), before);

  // A README.md that pretrain did not write is the user's too.
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'README.md'), '# my project\n');
  await assert.rejects(pretrain(tiny(other, { overwrite: true })), { name: 'UserError', message: M.pretrainOutForeign(other, 'README.md') });
  assert.equal(readFileSync(join(other, 'README.md'), 'utf8'), '# my project\n');
});
