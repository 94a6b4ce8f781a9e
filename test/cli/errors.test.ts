import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, TINY_TRAIN, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { runPaths } from '../../src/io/run-paths.js';
import { cliMessages } from '../../src/messages/cli.js';
import { evalMessages } from '../../src/messages/eval.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { configMessages } from '../../src/messages/config.js';
import { makeRun } from '../analysis/drift-fixtures.js';

/** Exit 2 and exactly one stderr line, `xbm-drift: ...`, no stack trace. */
function oneLine(r: { code: number; stderr: string }, expected?: string | RegExp): string {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(lines[0], /^xbm-drift: /);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/);
  const text = lines[0].slice('xbm-drift: '.length);
  if (typeof expected === 'string') assert.equal(text, expected);
  else if (expected) assert.match(text, expected);
  return text;
}

test('a bad choice is one line naming the flag, the value and the choices, in every verb', async (t) => {
  const out = join(tempDir(t), 'x');
  const cases: [string[], string, string, string[]][] = [
    [['train', '--sampler', 'foo', '--out', out], 'sampler', 'foo', ['pk', 'shuffle']],
    [['train', '--loss', 'contrastiv', '--out', out], 'loss', 'contrastiv', ['contrastive', 'triplet', 'multi-similarity']],
    [['train', '--backend', 'tpu', '--out', out], 'backend', 'tpu', ['auto', 'cpu']],
    [['eval', out, '--backend', 'tpu'], 'backend', 'tpu', ['auto', 'cpu']],
    [['report', out, '--theme', 'fancy'], 'theme', 'fancy', ['default', 'paper']],
    [['drift', out, '--neighbour-metric', 'manhattan'], 'neighbour-metric', 'manhattan', ['cosine', 'euclidean']],
  ];
  for (const [args, flag, value, choices] of cases) {
    const text = oneLine(await runCli(args));
    assert.ok(text.startsWith(`--${flag} "${value}" is not a valid choice: give one of `), text);
    for (const c of choices) assert.ok(text.includes(`"${c}"`), `${text} lists ${c}`);
  }
  assert.equal(existsSync(out), false);
});

test('train without --out, or with --out or --resume and no value, is one line', async () => {
  oneLine(await runCli(['train']), cliMessages.trainNeedsOut);
  oneLine(await runCli(['train', ...TINY_TRAIN]), cliMessages.trainNeedsOut);
  oneLine(await runCli(['train', '--out']), /^--out needs a value/);
  oneLine(await runCli(['train', ...TINY_TRAIN, '--out']), /^--out needs a value/);
  oneLine(await runCli(['train', '--resume']), /^--resume needs a value/);
  // Other yargs failures are one line too: a missing positional, an unknown verb.
  oneLine(await runCli(['eval']), /^Give the <run> argument\./);
  oneLine(await runCli(['inspect']), /^Give the <path> argument\./);
  oneLine(await runCli(['eval', 'a', 'b']), /^Unknown argument: b\./);
  oneLine(await runCli(['evl']), /did you mean eval\?/);
});

test('training flags given with --resume are refused, not silently ignored', async (t) => {
  const run = join(tempDir(t), 'r');
  oneLine(await runCli(['train', '--resume', run, '--lr', '0.1']), cliMessages.resumeIgnoresFlags(['lr'], run));
  oneLine(await runCli(['train', '--resume', run, '--iters', '5', '--xbm-size', '100', '--quiet']), cliMessages.resumeIgnoresFlags(['iterations', 'xbm-size'], run));
  oneLine(await runCli(['train', '--resume', run, '--overwrite']), cliMessages.resumeIgnoresFlags(['overwrite'], run));
  oneLine(await runCli(['train', '--resume', run, '--out', join(run, '..', 'other')]), cliMessages.resumeIgnoresFlags(['out'], run));
  assert.equal(existsSync(run), false);
});

test('an --out under a file is one line naming the path and the problem', async (t) => {
  // Tests run as root, which ignores chmod: a path under a regular file fails for everyone (ENOTDIR).
  const file = join(tempDir(t), 'a-file');
  writeFileSync(file, 'not a folder');
  const out = join(file, 'run');
  oneLine(await runCli(['train', ...TINY_TRAIN, '--iterations', '2', '--out', out]), cliMessages.fsProblem('write', out, 'ENOTDIR'));
});

test('drift into a run whose analysis/ is a file is one line naming the path', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 6, dim: 2, iterations: [0, 10] });
  writeFileSync(runPaths(dir).analysis, 'in the way');
  const text = oneLine(await runCli(['drift', dir]), /^cannot write .*analysis.*: (a part of the path is a file, not a folder|a file of that name is already there) — choose another --out\.$/);
  assert.ok(text.includes(runPaths(dir).analysis), text);
});

/** A small tmpfs at a fresh folder, unmounted when the test ends; null where mounting is not allowed. */
function smallDisk(t: { after: (fn: () => void) => void }, size: string): string | null {
  const mount = mkdtempSync(join(tmpdir(), 'xbm-drift-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]).status === 0;
  // One hook, in this order: a folder still mounted cannot be removed.
  t.after(() => {
    if (mounted) spawnSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  return mounted ? mount : null;
}

test('a read-only disk is one line naming the path, for train and drift (a real read-only mount)', async (t) => {
  const disk = smallDisk(t, '1m');
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  const run = join(disk, 'run');
  makeRun(run, { n: 6, dim: 2, iterations: [0, 10] });
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', disk]).status, 0);
  const out = join(disk, 'new');
  oneLine(await runCli(['train', ...TINY_TRAIN, '--iterations', '2', '--out', out]), cliMessages.fsProblem('write', out, 'EROFS'));
  const text = oneLine(await runCli(['drift', run]), /^cannot write .*: the file system is read-only — choose a writable --out\.$/);
  assert.ok(text.includes(run), text);
});

test('a full disk is one line naming the path (a real full tmpfs)', async (t) => {
  const disk = smallDisk(t, '64k');
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  const run = join(disk, 'run');
  makeRun(run, { n: 6, dim: 2, iterations: [0, 10] });
  // Fill what is left, a page at a time, until the disk refuses.
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(disk, `fill-${i}`), Buffer.alloc(4096));
    } catch {
      break;
    }
  }
  const text = oneLine(await runCli(['drift', run]), /^cannot (write|open) .*: no space left on the disk — free some space or choose another --out\.$/);
  assert.ok(text.includes(run), text);
  assert.equal(existsSync(join(run, 'analysis')), false, 'nothing half-made: no temporary, no empty analysis/');
});

test('eval of a run without a checkpoint says it has none yet, or none left, and never suggests --overwrite', async (t) => {
  const run = join(tempDir(t), 'young');
  mkdirSync(run);
  const config = resolveTrainConfig({ out: run, dataset: 'mnist2', checkpointEvery: 50 });
  writeFileSync(runPaths(run).config, JSON.stringify({ ...config, out: '.' }));
  const young = oneLine(await runCli(['eval', run]), evalMessages.noCheckpointYet(run, 50));
  assert.match(young, /no checkpoint yet.*checkpoint 50/);
  assert.doesNotMatch(young, /overwrite/);
  mkdirSync(runPaths(run).checkpoints);
  oneLine(await runCli(['eval', run]), evalMessages.noCheckpointYet(run, 50));
  // A finished run whose checkpoints were removed: none left, and its other files still serve.
  writeFileSync(runPaths(run).run, JSON.stringify({ status: 'completed' }));
  const gone = oneLine(await runCli(['eval', run]), evalMessages.checkpointsGone(run));
  assert.doesNotMatch(gone, /overwrite/);
  oneLine(await runCli(['eval', run, '--ks', '1,x']), evalMessages.badKs('1,x'));
});

test('flags that would do nothing, or bounds found only mid-run, are refused in one line before the run folder exists', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'run');
  // TINY_TRAIN with these flags replacing its own (a flag given twice is refused on its own).
  const tiny = (extra: string[]) => {
    const overrides: Record<string, string> = { '--out': out };
    for (let i = 0; i < extra.length; i += 2) overrides[extra[i]] = extra[i + 1];
    return ['train', ...tinyTrain(overrides)];
  };
  const cases: [string[], string][] = [
    // 1e9 iterations passed validation, then crashed building the snapshot schedule ("Set maximum size exceeded").
    [tiny(['--iters', '1e9']), configMessages.tooManyIterations(1e9, 999_999)],
    [tiny(['--staleness-every', '5']), configMessages.flagNeeds('--staleness-every', '--xbm-size M (a memory)', '--xbm-size 0')],
    [['train', '--sampler', 'shuffle', '--per-class', '4', '--out', out], configMessages.flagNeeds('--per-class', '--sampler pk', '--sampler shuffle')],
    [['train', '--model', 'cnn', '--hidden', '32', '--out', out], configMessages.flagNeeds('--hidden', '--model mlp', '--model cnn')],
    [tiny(['--channels', '8,16']), configMessages.flagNeeds('--channels', '--model cnn', '--model mlp')],
    [tiny(['--batch-mining', 'smart', '--index', 'exact', '--index-refresh', '100', '--iterations', '50']), configMessages.firstRefreshAfterEnd(100, 50)],
    [tiny(['--optimizer', 'sgd', '--momentum', '1.5']), configMessages.sgdMomentumRange(1.5)],
    [tiny(['--xbm-size', '16', '--xbm-start', 'auto:staleness:window=3,window=4']),
      configMessages.badAutoPolicy('auto:staleness:window=3,window=4', analysisMessages.repeatedPolicyParameter('staleness', 'window'))],
    // 4 iterations with a snapshot every 4 (and 1 before): 3 snapshots, never a window of 1e9.
    [tiny(['--iterations', '4', '--xbm-size', '16', '--xbm-start', 'auto:plateau:window=1e9']), configMessages.policyWindowTooLong('auto:plateau:window=1e9', 1e9, 3)],
    [tiny(['--images-per-class', '1']), configMessages.tooFewImagesPerClass(1)],
    [tiny(['--images-per-class', '3', '--per-class', '4']), configMessages.perClassOverImages(4, 3)],
    // The tiny mnist2: 50 test classes x 8 = 400 test images, 50 training classes x 8 = 400 training images.
    [tiny(['--iterations', '2', '--ks', '1,500']), configMessages.ksOverGallery(500, 400, 'mnist2')],
    [tiny(['--iterations', '2', '--probe-size', '5000']), configMessages.probeOverSplit(5000, 400, 'mnist2')],
    [tiny(['--iterations', '8', '--xbm-size', '16', '--xbm-start', 'auto:scatter', '--probe-size', '40']),
      configMessages.probeTooSmallForScatter('auto:scatter:ratio=1,window=3', 40, 50)],
  ];
  for (const [args, message] of cases) {
    oneLine(await runCli(args), message);
    assert.equal(existsSync(out), false, `${args.join(' ')}: nothing written`);
  }
  // The bounds are bounds, not bans: the largest allowed values are accepted.
  const ok = await runCli(tiny(['--iterations', '2', '--ks', '1,399', '--probe-size', '400', '--xbm-size', '16', '--xbm-start', '0', '--staleness-every', '2']));
  assert.equal(ok.code, 0, ok.stderr);
});
