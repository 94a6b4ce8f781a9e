import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMessages } from '../../src/messages/cli.js';
import { reportMessages } from '../../src/messages/report.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('report of a file says it is a file, not that it does not exist', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'x');
  const r = await runCli(['report', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), `xbm-drift: ${reportMessages.inputIsFile(file)}`);
  const gone = await runCli(['report', join(dir, 'nothing')]);
  assert.equal(gone.stderr.trim(), `xbm-drift: ${reportMessages.notFound(join(dir, 'nothing'))}`);
});

test('a full disk during report is one line naming the report folder (a real full tmpfs)', async (t) => {
  const mount = mkdtempSync(join(tmpdir(), 'xbm-drift-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]).status === 0;
  t.after(() => {
    if (mounted) spawnSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  if (!mounted) return t.skip('cannot mount a tmpfs here (needs root)');
  const run = join(tempDir(t), 'run');
  const trained = await runCli(['train', ...tinyTrain({ '--iterations': '8' }), '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(mount, `fill-${i}`), Buffer.alloc(4096));
    } catch {
      break;
    }
  }
  const out = join(mount, 'report');
  const r = await runCli(['report', run, '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  const last = r.stderr.trim().split('\n').at(-1);
  assert.equal(last, `xbm-drift: ${cliMessages.fsProblem('write', out, 'ENOSPC')}`);
});
