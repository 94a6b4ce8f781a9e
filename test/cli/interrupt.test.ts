import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INTERRUPTED_EXIT_CODE, withInterrupt } from '../../src/cli/interrupt.js';
import { cliMessages } from '../../src/messages/cli.js';

test('the first signal aborts and says so once, the second exits 130, and the handlers go afterwards', async () => {
  const lines: string[] = [];
  const exits: number[] = [];
  const before = process.listenerCount('SIGINT');
  const seen = await withInterrupt(async (signal) => {
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    assert.equal(process.listenerCount('SIGTERM') > 0, true);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    return signal.aborted;
  }, { output: { out: () => {}, err: (l) => lines.push(l) }, exit: (code) => exits.push(code) });
  assert.equal(seen, true);
  assert.deepEqual(lines, [cliMessages.interrupted('SIGTERM')]);
  assert.deepEqual(exits, [INTERRUPTED_EXIT_CODE]);
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('a job that stops before it began (rejects with the signal\'s reason) exits 130; any other error passes', async () => {
  const exits: number[] = [];
  const quiet = { output: { out: () => {}, err: () => {} }, exit: (code: number) => exits.push(code) };
  await assert.rejects(withInterrupt(async (signal) => {
    process.emit('SIGINT', 'SIGINT');
    signal.throwIfAborted();
  }, quiet), (e) => e === 'SIGINT');
  assert.deepEqual(exits, [INTERRUPTED_EXIT_CODE]);
  await assert.rejects(withInterrupt(async () => {
    throw new Error('a bug');
  }, quiet), /a bug/);
  assert.deepEqual(exits, [INTERRUPTED_EXIT_CODE]);
});

const CHILD = fileURLToPath(new URL('./fixtures/interrupt-child.ts', import.meta.url));

/** Runs the fixture, sends `signals` once it is ready (100 ms apart), and collects what it printed. */
function runChild(args: string[], signals: NodeJS.Signals[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      const first = stdout === '';
      stdout += b.toString();
      if (first && stdout.startsWith('ready')) signals.forEach((s, i) => setTimeout(() => child.kill(s), 100 * (i + 1)));
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timeout);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a real SIGINT reaches the job: it stops cleanly and prints one line', async () => {
  const r = await runChild([], ['SIGINT']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ready\nstopped by SIGINT\n');
  assert.equal(r.stderr, `xbm-drift: ${cliMessages.interrupted('SIGINT')}\n`);
});

test('a real SIGTERM does too, and a second signal ends a job that does not stop with status 130', async () => {
  const r = await runChild(['stubborn'], ['SIGTERM', 'SIGINT']);
  assert.equal(r.code, INTERRUPTED_EXIT_CODE);
  assert.equal(r.stdout, 'ready\n');
  assert.equal(r.stderr, `xbm-drift: ${cliMessages.interrupted('SIGTERM')}\n`);
});
