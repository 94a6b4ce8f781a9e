import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERBS } from '../../src/cli/verbs.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { folderSnapshot } from '../helpers/files.js';

/** A folder as a user keeps it: a thesis and a subfolder of figures. */
function userFolder(dir: string): string {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'thesis.tex'), '\\documentclass{article}');
  writeFileSync(join(dir, 'sub', 'figure.pdf'), '%PDF-1.4');
  return dir;
}

/**
 * The smallest valid call of each verb that writes into --out, given the folder and a trained run.
 * A verb whose --help offers --out and that has no entry here fails the test: a new writing verb
 * joins the data-loss check when it is added.
 */
const WRITERS: Record<string, (out: string, run: string) => string[]> = {
  train: (out) => ['train', ...tinyTrain({ '--iterations': '4' }), '--out', out],
  pretrain: (out) => ['pretrain', '--iters', '5', '--backend', 'cpu', '--model', 'mlp', '--hidden', '8', '--out', out],
  demo: (out) => ['demo', '--quick', '--backend', 'cpu', '--out', out],
  report: (out, run) => ['report', run, '--out', out],
  sweep: (out) => ['sweep', '--grid', 'lr=0.001', '--iters', '4', '--out', out, '--', ...tinyTrain({})],
};

test('no verb that takes --out deletes or changes a user\'s files, with or without --overwrite', async (t) => {
  const root = tempDir(t);
  const writers: string[] = [];
  const overwriters = new Set<string>();
  for (const verb of Object.keys(VERBS)) {
    const help = await runCli([verb, '--help']);
    assert.equal(help.code, 0, help.stderr);
    if (/--out\b/.test(help.stdout)) writers.push(verb);
    if (/--overwrite\b/.test(help.stdout)) overwriters.add(verb);
  }
  assert.deepEqual(writers.filter((v) => !(v in WRITERS)), [], 'every verb with --out has a case here');
  assert.ok(writers.length >= 5, `found the writing verbs: ${writers.join(', ')}`);
  const variants = (verb: string) => (overwriters.has(verb) ? [[], ['--overwrite']] : [[]]);

  const run = join(root, 'run');
  const trained = await runCli(WRITERS.train(run, run));
  assert.equal(trained.code, 0, trained.stderr);
  for (const verb of writers) {
    for (const extra of variants(verb)) {
      const out = userFolder(join(root, `${verb}${extra.join('')}`));
      const before = folderSnapshot(out);
      const r = await runCli([...WRITERS[verb](out, run), ...extra]);
      assert.equal(r.code, 2, `${verb} ${extra.join(' ')} refuses a foreign folder: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Unknown argument/);
      assert.deepEqual(folderSnapshot(out), before, `${verb} ${extra.join(' ')}: every user file survives`);
      assert.deepEqual(readdirSync(out).sort(), ['sub', 'thesis.tex'], `${verb} ${extra.join(' ')} adds nothing`);
    }
  }
  // A trained run is a foreign folder to every other writer.
  const runBefore = folderSnapshot(run);
  for (const verb of writers.filter((v) => v !== 'train')) {
    for (const extra of variants(verb)) {
      const r = await runCli([...WRITERS[verb](run, run), ...extra]);
      assert.equal(r.code, 2, `${verb} ${extra.join(' ')} --out <a run> is refused: ${r.stderr}`);
      assert.deepEqual(folderSnapshot(run), runBefore, `${verb} ${extra.join(' ')} leaves the run as it was`);
    }
  }
});
