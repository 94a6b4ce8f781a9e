import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { runPaths } from '../../src/io/run-paths.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { createRun } from '../../src/train/run-folder.js';

/** Runs `fn` while writing a file fails as on a full disk: the file is created, its content never arrives. */
function withFullDisk(fn: () => void): void {
  const create = fs.openSync;
  const m = mock.method(fs, 'writeFileSync', (path: fs.PathOrFileDescriptor) => {
    if (typeof path !== 'number') fs.closeSync(create(path, 'w'));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  });
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    m.mock.restore();
    syncBuiltinESMExports();
  }
}

test('a full disk while writing an analysis file leaves no empty analysis/ folder, and keeps a folder that was there', (t) => {
  const run = join(tempDir(t), 'run');
  mkdirSync(run);
  const paths = runPaths(run);
  withFullDisk(() => assert.throws(() => writeJsonAtomic(join(paths.analysis, 'eval.json'), { iteration: 1 }), /ENOSPC/));
  assert.deepEqual(readdirSync(run), [], 'nothing half-made');
  mkdirSync(paths.analysis);
  withFullDisk(() => assert.throws(() => writeJsonAtomic(join(paths.analysis, 'eval.json'), { iteration: 1 }), /ENOSPC/));
  assert.ok(existsSync(paths.analysis), 'a folder that existed before stays');
  assert.deepEqual(readdirSync(paths.analysis), []);
});

test('a full disk while a run is created leaves no run folder, lock or snapshots/ behind; a retry then starts the run', (t) => {
  const dir = tempDir(t);
  for (const out of [join(dir, 'new'), join(dir, 'empty')]) {
    const existed = out.endsWith('empty');
    if (existed) mkdirSync(out);
    const config = resolveTrainConfig({ out, dataset: 'mnist2', backend: 'cpu', iterations: 2 });
    withFullDisk(() => assert.throws(() => createRun(config, false), /ENOSPC/));
    assert.equal(existsSync(out), existed, 'a folder made for the run is removed, one given is kept');
    if (existed) assert.deepEqual(readdirSync(out), []);
    const open = createRun(config, false);
    assert.ok(existsSync(runPaths(out).config));
    open.lock.release();
  }
});
