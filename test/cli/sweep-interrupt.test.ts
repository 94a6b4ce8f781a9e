import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportMessages } from '../../src/messages/report.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));

/** Runs the CLI and sends SIGINT to it (only to it, as `kill -INT <pid>` does) once `ready()` holds. */
function interruptWhen(args: string[], ready: () => boolean): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timeout);
      resolve({ code, signal, stderr });
    });
  });
}

test('an interrupted sweep waits for its point to save a checkpoint, exits 130, and the rerun resumes that point', async (t) => {
  const out = join(tempDir(t), 'sweep');
  const point = join(out, 'seed-1');
  const train = tinyTrain({ '--snapshot-every': '0', '--eval-every': '0', '--checkpoint-every': '4' });
  const args = ['sweep', '--grid', 'seed=1', '--iters', '60', '--out', out, '--', ...train];
  const first = await interruptWhen(args, () => existsSync(join(point, 'checkpoints', 'latest.json')));
  assert.equal(first.code, 130, `exit ${first.code} ${first.signal}: ${first.stderr}`);
  // The point had finished saving when the sweep exited: its record says so and its lock is gone.
  const record = JSON.parse(readFileSync(join(point, 'run.json'), 'utf8'));
  assert.equal(record.status, 'interrupted');
  assert.ok(!existsSync(join(point, 'run.lock')), 'the trainer had exited');
  assert.ok(record.iterationsDone < 60, `stopped early (${record.iterationsDone})`);
  assert.match(first.stderr, new RegExp(reportMessages.sweepInterrupted(['seed-1']).replace(/[().]/g, '\\$&')));

  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stdout.includes(reportMessages.pointResuming('seed-1', point)), again.stdout);
  const done = JSON.parse(readFileSync(join(point, 'run.json'), 'utf8'));
  assert.equal(done.status, 'completed');
  assert.equal(done.resumes.length, 1, 'resumed, not retrained from scratch');
  const iterations = readFileSync(join(point, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
  assert.deepEqual(iterations, Array.from({ length: 60 }, (_, i) => i + 1), 'every iteration once, in order');
  assert.match(readFileSync(join(out, 'logs', 'seed-1.log'), 'utf8'), /train .*--out[\s\S]*train --resume/, 'the log keeps both parts');
});
