import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { TrainConfig } from '../../src/config/train-config.js';
import { UserError } from '../../src/errors.js';
import { readRunConfig, type RunConfigFile } from '../../src/io/formats/run-config.js';
import { runPaths } from '../../src/io/run-paths.js';
import { ioMessages } from '../../src/messages/io.js';
import { loadRunConfig } from '../../src/train/run-folder.js';
import { tempDir } from '../helpers/tmp.js';

// The trainer's configuration is the config.json contract plus each component's settings: a
// TrainConfig must be a RunConfigFile (this line stops compiling when the two part).
const conforms: (c: TrainConfig) => RunConfigFile = (c) => c;
void conforms;

const write = (dir: string, value: unknown) => writeFileSync(runPaths(dir).config, typeof value === 'string' ? value : JSON.stringify(value));

test('config.json has one reader: absent is null, today\'s and older files read, the Python logger\'s too', (t) => {
  const dir = tempDir(t);
  assert.equal(readRunConfig(runPaths(dir).config), null);
  // Before --xbm-adapt: plain XBM.
  write(dir, { name: 'old', batchSize: 64, iterations: 100, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 640, weight: 1, start: { kind: 'auto', policy: 'plateau:window=3' } } });
  const old = readRunConfig(runPaths(dir).config)!;
  assert.deepEqual(old.xbm!.adapt, { kind: 'none' });
  assert.deepEqual(old.xbm!.start, { kind: 'auto', policy: 'plateau:window=3' });
  // A start as a bare iteration or 'off' (older files, other tools): today's objects.
  write(dir, { iterations: 100, xbm: { size: 640, start: 300 } });
  assert.deepEqual(readRunConfig(runPaths(dir).config)!.xbm, { size: 640, start: { kind: 'at', iteration: 300 }, adapt: { kind: 'none' } });
  write(dir, { iterations: 100, xbm: { size: 640, start: 'off' } });
  assert.deepEqual(readRunConfig(runPaths(dir).config)!.xbm!.start, { kind: 'off' });
  // python/xbm_drift_log.py: its own start rule, a width not known yet (null), no snapshots section.
  write(dir, { name: 'torch', out: 'runs/torch', dataset: { spec: 'cub200' }, batchSize: 32, model: { kind: 'external', dim: null }, loss: { kind: 'contrastive', margin: 0.5 }, iterations: null, xbm: { size: 0, weight: 1, start: { kind: 'external' } }, seed: 0, extra: {} });
  const torch = readRunConfig(runPaths(dir).config)!;
  assert.equal(torch.name, 'torch');
  assert.deepEqual(torch.xbm!.start, { kind: 'external' });
});

test('a damaged or hand-edited config.json is one line naming the file and the field, for every reader and for resume', (t) => {
  const dir = tempDir(t);
  const path = runPaths(dir).config;
  const refused = (value: unknown, message: string) => {
    write(dir, value);
    assert.throws(() => readRunConfig(path), new UserError(message));
    assert.throws(() => loadRunConfig(dir), new UserError(message));
  };
  refused({ batchSize: 64, iterations: -5, xbm: { size: 0 } }, ioMessages.badField(path, 'iterations', 'a positive whole number', '-5'));
  refused({ batchSize: 6.5, iterations: 40 }, ioMessages.badField(path, 'batchSize', 'a positive whole number', '6.5'));
  refused({ iterations: 40, xbm: { size: -1 } }, ioMessages.badField(path, 'xbm.size', 'a whole number >= 0', '-1'));
  refused({ iterations: 40, xbm: { size: 10, start: { kind: 'at', iteration: 'soon' } } }, ioMessages.badField(path, 'xbm.start', '{kind: "at", iteration: a whole number >= 0}', '{"kind":"at","iteration":"soon"}'));
  refused({ iterations: 40, loss: { kind: 3 } }, ioMessages.badField(path, 'loss.kind', 'a string', '3'));
  refused([1, 2], ioMessages.notJsonObject(path, 'training configuration (config.json)', '`xbm-drift train`'));
  write(dir, '{"iterations": 4');
  assert.throws(() => readRunConfig(path), (e: unknown) => e instanceof UserError && e.message.startsWith(`${path} is not valid JSON (`));
  assert.throws(() => loadRunConfig(dir), (e: unknown) => e instanceof UserError && e.message.startsWith(`${path} is not valid JSON (`));
});
