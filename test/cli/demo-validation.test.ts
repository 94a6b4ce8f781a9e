import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoMessages } from '../../src/messages/demo.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { folderSnapshot } from '../helpers/files.js';

test('demo --policy bogus is refused before anything trains: one line, exit 2, in seconds, nothing written', async (t) => {
  const out = join(tempDir(t), 'demo');
  const t0 = Date.now();
  const r = await runCli(['demo', '--quick', '--policy', 'bogus', '--out', out, '--backend', 'cpu']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^xbm-drift: .*bogus/);
  assert.ok(Date.now() - t0 < 30_000, `refused after ${Date.now() - t0} ms`);
  assert.deepEqual(readdirSync(join(out, '..')), [], 'nothing written');
});

test('demo --out <a run>, <a folder of other files> or <a file> is refused and left as it was; an earlier demo needs --overwrite', async (t) => {
  const dir = tempDir(t);
  const run = join(dir, 'run');
  const trained = await runCli(['train', ...tinyTrain({ '--iterations': '2' }), '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const thesis = join(dir, 'thesis');
  mkdirSync(thesis);
  writeFileSync(join(thesis, 'thesis.tex'), 'x');
  const file = join(dir, 'file.txt');
  writeFileSync(file, 'y');
  const earlier = join(dir, 'earlier');
  mkdirSync(join(earlier, 'baseline'), { recursive: true });
  writeFileSync(join(earlier, 'summary.md'), '# demo\n');
  const cases: [string, string[], string][] = [
    [run, [], demoMessages.outIsRun(run, 'run')],
    [thesis, [], demoMessages.outForeign(thesis, 'thesis.tex')],
    [file, [], demoMessages.outIsFile(file)],
    [earlier, ['--no-overwrite'], demoMessages.outHoldsDemo(earlier)],
  ];
  for (const [out, extra, message] of cases) {
    const before = out === file ? { file: readFileSync(file, 'utf8') } : folderSnapshot(out);
    const r = await runCli(['demo', '--quick', '--out', out, '--backend', 'cpu', ...extra]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `xbm-drift: ${message}`);
    assert.deepEqual(out === file ? { file: readFileSync(file, 'utf8') } : folderSnapshot(out), before, `${out} untouched`);
  }
});
