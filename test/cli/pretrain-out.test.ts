import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelMessages as M } from '../../src/messages/model.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { folderSnapshot } from '../helpers/files.js';

test('pretrain --out <a folder with a thesis> or <a run>: one line, exit 2, every file survives (with --overwrite too)', async (t) => {
  const dir = tempDir(t);
  const d = join(dir, 'd');
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'thesis.tex'), 'x');
  writeFileSync(join(d, 'sub', 'fig.pdf'), 'y');
  const run = join(dir, 'run');
  const trained = await runCli(['train', ...tinyTrain({ '--iterations': '4' }), '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  for (const [out, first] of [[d, 'sub'], [run, readdirSync(run).sort()[0]!]] as const) {
    const before = folderSnapshot(out);
    for (const extra of [[], ['--overwrite']]) {
      const r = await runCli(['pretrain', '--iters', '5', '--backend', 'cpu', '--model', 'mlp', '--hidden', '8', '--out', out, ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim(), `xbm-drift: ${M.pretrainOutForeign(out, first)}`);
      assert.deepEqual(folderSnapshot(out), before, `${out} untouched`);
    }
  }
  assert.deepEqual(readdirSync(dir).sort(), ['d', 'run'], 'no temporary left');
});
