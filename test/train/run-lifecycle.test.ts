import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import type { EvalRow, MetricsRow } from '../../src/io/tables.js';
import { trainMessages as M } from '../../src/messages/train.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import { train } from '../../src/train/trainer.js';
import { stopAfter } from './stop-after.js';

const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));


function startTraining(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, 'train', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const checkpointAt = (run: string) => (existsSync(join(run, 'checkpoints', 'latest.json')) ? json(join(run, 'checkpoints', 'latest.json')).iteration as number : 0);
const metricsRows = (run: string) => (existsSync(join(run, 'metrics.csv')) ? readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n').length - 1 : 0);

test('Ctrl-C (a real SIGINT) stops training mid-run with a checkpoint; a second writer is refused meanwhile', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'run');
  const args = tinyTrain({ '--iterations': '1000', '--eval-every': '0', '--snapshot-every': '50', '--checkpoint-every': '100', '--out': out });
  const first = startTraining(args);
  await waitFor('the first rows', () => metricsRows(out) >= 3);
  // The lock: a second training into the same folder, and a resume of it, are refused while it runs.
  const second = await runCli(['train', ...args]);
  assert.equal(second.code, 2);
  assert.match(second.stderr.trim(), /^xbm-drift: .* is being written by another training \(process \d+/);
  assert.equal(second.stderr.trim().split('\n').length, 1);
  const resumed = await runCli(['train', '--resume', out]);
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /is being written by another training/);
  first.child.kill('SIGINT');
  const r = await first.done;
  assert.equal(r.code, 130, r.stderr);
  const run = json(join(out, 'run.json'));
  assert.equal(run.status, 'interrupted');
  assert.ok(run.iterationsDone < 1000, `stopped at ${run.iterationsDone}, not mid-run`);
  assert.equal(checkpointAt(out), run.iterationsDone);
  assert.equal(metricsRows(out), run.iterationsDone);
  assert.equal(existsSync(join(out, 'run.lock')), false, 'the lock is released');
});

test('kill -9 after a checkpoint, then --resume: bit-identical to an uninterrupted run with Adam', async (t) => {
  const dir = tempDir(t);
  const flags = { '--iterations': '150', '--eval-every': '75', '--snapshot-every': '5', '--checkpoint-every': '10', '--xbm-size': '40', '--xbm-start': '15', '--optimizer': 'adam', '--seed': '1' };
  const straight = join(dir, 'straight');
  const a = await runCli(['train', ...tinyTrain({ ...flags, '--out': straight })]);
  assert.equal(a.code, 0, a.stderr);
  const killed = join(dir, 'killed');
  const run = startTraining(tinyTrain({ ...flags, '--out': killed }));
  await waitFor('checkpoint 20', () => checkpointAt(killed) >= 20);
  run.child.kill('SIGKILL');
  const k = await run.done;
  assert.equal(k.signal, 'SIGKILL');
  assert.equal(json(join(killed, 'run.json')).status, 'running', 'killed before it finished');
  assert.ok(existsSync(join(killed, 'run.lock')), 'a kill -9 leaves its lock behind');
  const b = await runCli(['train', '--resume', killed]);
  assert.equal(b.code, 0, b.stderr);
  const ma = await readCsv<MetricsRow>(join(straight, 'metrics.csv'));
  const mb = await readCsv<MetricsRow>(join(killed, 'metrics.csv'));
  assert.deepEqual(mb.map((m) => m.iteration), ma.map((m) => m.iteration), 'no row lost or duplicated');
  assert.deepEqual(mb.map((m) => m.loss), ma.map((m) => m.loss));
  const ea = await readCsv<EvalRow>(join(straight, 'eval.csv'));
  const eb = await readCsv<EvalRow>(join(killed, 'eval.csv'));
  assert.deepEqual(eb.map((e) => [e.iteration, e.recall_at_1, e.map_at_r]), ea.map((e) => [e.iteration, e.recall_at_1, e.map_at_r]));
  assert.equal(json(join(killed, 'run.json')).status, 'completed');
});

test('a copied run folder resumes in its new place and leaves the original alone', async (t) => {
  const dir = tempDir(t);
  const flags = { out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu' as const, model: 'mlp' as const, hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
    probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 4, iterations: 8 };
  const original = join(dir, 'a');
  await train(resolveTrainConfig({ ...flags, out: original }), { quiet: true, ...stopAfter(1) });
  assert.equal(json(join(original, 'config.json')).out, '.', 'config.json holds no absolute path');
  const copy = join(dir, 'b');
  cpSync(original, copy, { recursive: true });
  const before = readFileSync(join(original, 'metrics.csv'), 'utf8');
  const r = await runCli(['train', '--resume', copy]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(json(join(copy, 'run.json')).status, 'completed');
  assert.equal(metricsRows(copy), 8);
  assert.equal(readFileSync(join(original, 'metrics.csv'), 'utf8'), before);
  assert.equal(json(join(original, 'run.json')).status, 'interrupted');
});

test('a run killed while closing its record (status "running" at the last iteration) is finished by --resume', async (t) => {
  const out = join(tempDir(t), 'run');
  const r = await runCli(['train', ...tinyTrain({ '--iterations': '8', '--out': out })]);
  assert.equal(r.code, 0, r.stderr);
  const record = json(join(out, 'run.json'));
  const finalR1 = record.final.recall_at_1;
  writeFileSync(join(out, 'run.json'), JSON.stringify({ ...record, status: 'running', final: null, endedAt: null }));
  // Leftovers of killed atomic writes.
  writeFileSync(join(out, 'metrics.csv.4242.tmp'), 'half a row');
  mkdirSync(join(out, 'checkpoints', 'iter-000009.tmp'));
  const again = await runCli(['train', '--resume', out]);
  assert.equal(again.code, 0, again.stderr);
  const fixed = json(join(out, 'run.json'));
  assert.equal(fixed.status, 'completed');
  assert.equal(fixed.final.recall_at_1, finalR1);
  assert.equal(metricsRows(out), 8);
  assert.deepEqual((await readCsv<EvalRow>(join(out, 'eval.csv'))).map((e) => e.iteration), [4, 8]);
  assert.equal(existsSync(join(out, 'metrics.csv.4242.tmp')), false);
  assert.equal(existsSync(join(out, 'checkpoints', 'iter-000009.tmp')), false);
  // Now it is complete: a further resume is refused.
  const third = await runCli(['train', '--resume', out]);
  assert.equal(third.code, 2);
  assert.equal(third.stderr.trim(), `xbm-drift: ${M.alreadyComplete(out, 8)}`);
});

test('damaged checkpoints and records give one line naming the file, for --resume and eval', async (t) => {
  const dir = tempDir(t);
  const base = join(dir, 'base');
  const flags = { out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu' as const, model: 'mlp' as const, hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
    probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 4, iterations: 8 };
  await train(resolveTrainConfig({ ...flags, out: base }), { quiet: true, ...stopAfter(1) });
  const cpDir = (run: string) => join(run, 'checkpoints', 'iter-000001');
  const cases: [string, (run: string) => void, RegExp][] = [
    ['truncated weights.bin', (run) => truncateSync(join(cpDir(run), 'weights.bin'), 10), /weights\.bin is damaged .*truncated/],
    ['invalid state.json', (run) => writeFileSync(join(cpDir(run), 'state.json'), '{"iteration": 1,'), /state\.json is damaged .*not valid JSON/],
    ['invalid run.json', (run) => writeFileSync(join(run, 'run.json'), '{'), /run\.json is not valid JSON/],
    ['checkpoints deleted', (run) => spawnSync('rm', ['-rf', join(run, 'checkpoints')]), /has no checkpoint to resume from/],
  ];
  for (const [name, damage, expected] of cases) {
    const run = join(dir, name.replace(/\W+/g, '-'));
    cpSync(base, run, { recursive: true });
    damage(run);
    const r = await runCli(['train', '--resume', run]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, expected, name);
    assert.equal(existsSync(join(run, 'run.lock')), false, `${name}: lock released`);
    if (name === 'truncated weights.bin') {
      const e = await runCli(['eval', run]);
      assert.equal(e.code, 2, e.stderr);
      assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
      assert.match(e.stderr, expected);
    }
  }
});

test('a full disk stops training with one line, leaves no temporary files, and --resume then finishes', async (t) => {
  const mount = mkdtempSync(join(tmpdir(), 'xbm-drift-disk-'));
  // Unmount before removing the folder (removing a mount point in use fails with EBUSY).
  t.after(() => {
    spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1000k', 'tmpfs', mount]).status !== 0) {
    t.skip('cannot mount a small tmpfs here (needs root): the full-disk case was not tested');
    return;
  }
  const out = join(mount, 'run');
  const r = await runCli(['train', ...tinyTrain({ '--iterations': '400', '--eval-every': '0', '--snapshot-every': '20', '--checkpoint-every': '20', '--out': out })]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no space left|disk is full|ENOSPC/i);
  const leftovers = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.name.endsWith('.tmp') ? [e.name] : e.isDirectory() ? leftovers(join(d, e.name)) : []));
  assert.deepEqual(leftovers(out), []);
  assert.equal(existsSync(join(out, 'run.lock')), false);
  assert.equal(spawnSync('mount', ['-o', 'remount,size=16m', mount]).status, 0);
  const again = await runCli(['train', '--resume', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(json(join(out, 'run.json')).status, 'completed');
  assert.deepEqual((await readCsv<MetricsRow>(join(out, 'metrics.csv'))).map((m) => m.iteration), Array.from({ length: 400 }, (_, i) => i + 1));
});

test('a refused start leaves nothing behind in the process: the next training works', async (t) => {
  const dir = tempDir(t);
  const flags = { out: '', dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu' as const, model: 'mlp' as const, hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
    probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, checkpointEvery: 4, iterations: 2 };
  const first = join(dir, 'a');
  await train(resolveTrainConfig({ ...flags, out: first }), { quiet: true });
  await assert.rejects(train(resolveTrainConfig({ ...flags, out: first }), { quiet: true }), (e: Error) => e.message === M.runExists(first));
  // Had the refused session kept its model's variables, their names would now be taken.
  const second = await train(resolveTrainConfig({ ...flags, out: join(dir, 'b') }), { quiet: true });
  assert.equal(second.status, 'completed');
});
