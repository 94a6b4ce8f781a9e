import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/backend/tf.js';
import { initBackend } from '../../src/backend/init-backend.js';
import { createBackboneEmbedder, loadBackbone } from '../../src/model/backbone.js';
import { builtinBackbone, builtinBackboneDirs } from '../../src/model/builtin-backbones.js';
import { fileSaveHandler } from '../../src/model/model-files.js';
import { buildTrunk } from '../../src/model/trunk.js';
import { modelMessages as M } from '../../src/messages/model.js';
import { pretrain, resolveBackboneSource, type PretrainConfig } from '../../src/train/pretrain.js';
import { Rng } from '../../src/random.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

const tiny = (out: string, more: Partial<PretrainConfig> = {}): PretrainConfig => ({
  dataset: 'mnist', out, model: { kind: 'cnn', channels: [4, 6], dim: 1 }, iterations: 3, batchSize: 8, lr: 1e-3, seed: 1,
  backend: 'wasm', threads: 1, overwrite: false, command: 'xbm-drift pretrain --channels 4,6 --iterations 3', ...more,
});

test('a trunk saved through the fs IOHandler gives bit-identical features after reload', async (t) => {
  const dir = tempDir(t);
  const trunk = buildTrunk({ kind: 'cnn', channels: [4, 6], dim: 1 }, [28, 28, 1], new Rng(5));
  const x = tf.randomUniform([2, 28, 56, 1], 0, 1, 'float32', 1);
  const before = await (trunk.predict(x) as tf.Tensor).data();
  await trunk.save(fileSaveHandler(join(dir, 'trunk')));
  const loaded = await loadBackbone(join(dir, 'trunk'));
  const after = await (loaded.layers!.predict(x) as tf.Tensor).data();
  assert.deepEqual(after, before);
  assert.deepEqual(loaded.inputShape, [null, null, null, 1], 'fully convolutional: any height and width');
  assert.deepEqual(readdirSync(dir), ['trunk'], 'no temporary left');
  trunk.dispose();
  loaded.layers!.dispose();
  x.dispose();
});

test('pretrain writes a LayersModel backbone (model.json, weights.bin, README with the command) that train loads on mnist3', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'digits');
  const r = await pretrain(tiny(out));
  assert.equal(r.path, join(out, 'model.json'));
  assert.equal(r.classes, 10, 'all ten digits of the MNIST train file');
  assert.deepEqual(readdirSync(out).sort(), ['README.md', 'model.json', 'weights.bin']);
  assert.deepEqual(readdirSync(dir), ['digits'], 'written under a temporary name, then renamed');
  const json = JSON.parse(readFileSync(r.path, 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.equal(json.userDefinedMetadata.xbmDrift.normalization, 'none');
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /xbm-drift pretrain --channels 4,6 --iterations 3/);
  const e = await createBackboneEmbedder({ source: out, lrMult: 1, freeze: false }, out, 8, { dataset: 'mnist3', imageShape: [28, 84, 1], normalization: 'none', resizable: false }, new Rng(1));
  assert.equal(e.variables.length, 6, 'two convs (kernel, bias) + head');
  const y = e.apply(tf.zeros([1, 28, 84, 1]));
  assert.deepEqual(y.shape, [1, 8]);
  y.dispose();
  tf.disposeVariables();
  // Not again without --overwrite; with it, replaced.
  await assert.rejects(pretrain(tiny(out)), { name: 'UserError', message: M.pretrainOutExists(out) });
  await pretrain(tiny(out, { overwrite: true, iterations: 1 }));
  assert.deepEqual(readdirSync(dir), ['digits']);
});

test('builtin:digits resolves to the shipped trunk, which applies to 28x28, 28x56 and 28x84 digits', async () => {
  const b = builtinBackbone('builtin:digits')!;
  const { shipped } = builtinBackboneDirs(b);
  if (!existsSync(join(shipped, 'model.json'))) return; // only while rebuilding it
  const path = await resolveBackboneSource('builtin:digits', { backend: 'wasm' });
  assert.equal(path, join(shipped, 'model.json'));
  for (const w of [28, 56, 84]) {
    const e = await createBackboneEmbedder({ source: 'builtin:digits', lrMult: 1, freeze: true }, path, 4, { dataset: 'x', imageShape: [28, w, 1], normalization: 'none', resizable: false }, new Rng(1));
    const y = e.apply(tf.zeros([2, 28, w, 1]));
    assert.deepEqual(y.shape, [2, 4]);
    y.dispose();
    tf.disposeVariables();
  }
  await assert.rejects(resolveBackboneSource('builtin:nope', { backend: 'wasm' }), /not a built-in backbone/);
});

test('a built-in backbone that is not shipped is built on first use into its cache folder, saying so, then reused', async (t) => {
  const dir = tempDir(t);
  const dirs = { shipped: join(dir, 'shipped'), cache: join(dir, 'cache', 'digits') };
  const lines: string[] = [];
  const testing = { dirs, iterations: 2 };
  const path = await resolveBackboneSource('builtin:digits', { backend: 'wasm', threads: 1, log: (l) => lines.push(l), testing });
  assert.equal(path, join(dirs.cache, 'model.json'));
  assert.ok(existsSync(path));
  const command = 'xbm-drift pretrain --dataset mnist --model cnn --channels 32,64,128 --iterations 2 --batch-size 64 --lr 0.001 --seed 1 --out ' + dirs.cache;
  assert.equal(lines[0], M.buildingBuiltin('builtin:digits', dirs.cache, command));
  assert.ok(readFileSync(join(dirs.cache, 'README.md'), 'utf8').includes(command), 'the README names the command');
  lines.length = 0;
  assert.equal(await resolveBackboneSource('builtin:digits', { backend: 'wasm', log: (l) => lines.push(l), testing }), path);
  assert.deepEqual(lines, [], 'built once');
});

test('pretrain CLI: no --out, or an --out that holds a backbone: one line, exit 2', async (t) => {
  const dir = tempDir(t);
  const none = await runCli(['pretrain', '--iterations', '1']);
  assert.equal(none.code, 2);
  assert.equal(none.stderr.trim(), `xbm-drift: ${M.pretrainNeedsOut}`);
  await pretrain(tiny(join(dir, 'bb'), { iterations: 1 }));
  const again = await runCli(['pretrain', '--iterations', '1', '--backend', 'wasm', '--out', join(dir, 'bb')]);
  assert.equal(again.code, 2);
  assert.equal(again.stderr.trim(), `xbm-drift: ${M.pretrainOutExists(join(dir, 'bb'))}`);
});
