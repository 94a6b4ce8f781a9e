import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { writeJsonAtomic } from '../../src/io/atomic-write.js';
import { runPaths } from '../../src/io/run-paths.js';

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
