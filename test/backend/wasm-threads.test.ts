/**
 * Multithreaded wasm, each case in a child process (a backend and its threads are per process):
 * it starts with 2 threads, computes gradients that match cpu, and the process exits by itself,
 * with or without shutdownBackend(); a start that fails falls back to 1 thread with a note; and
 * the kernel and model test files pass again on 2 threads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../../src/backend/init-backend.js';
import { TOL } from '../helpers/tolerances.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
/** Generous: the machine may be shared; an idle one needs a few seconds per child. */
const TIMEOUT_MS = 90_000;

interface ChildRun {
  code: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], env: Record<string, string> = {}): Promise<ChildRun> {
  // Under `node --test` this process carries NODE_TEST_CONTEXT; a nested test run that inherits
  // it reports to us in the runner's private protocol instead of printing.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', env: childEnv, maxBuffer: 16 << 20,
    }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: number | string; killed?: boolean }) | null;
      resolve({
        code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        timedOut: e?.killed === true,
        stdout,
        stderr,
      });
    });
  });
}

interface ChildReport {
  info: BackendInfo;
  workers: number;
  maxError: number;
}

async function threadsChild(...args: string[]): Promise<ChildReport> {
  const run = await runNode([join(here, 'fixtures', 'threads-child.ts'), ...args]);
  assert.equal(run.timedOut, false, `the child did not exit by itself within ${TIMEOUT_MS / 1000} s`);
  assert.equal(run.code, 0, `child failed:\n${run.stderr}`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

// Independent child processes: run them side by side.
describe('wasm with 2 threads (child processes)', { concurrency: true }, () => {
  test('starts 2 threads, matches cpu, and the process exits by itself without shutdown', async () => {
    const report = await threadsChild('2');
    assert.equal(report.info.name, 'wasm');
    assert.equal(report.info.threads, 2);
    assert.deepEqual(report.info.attempts, [{ backend: 'wasm (2 threads)', ok: true }]);
    assert.deepEqual(report.info.notes, []);
    assert.equal(report.workers, 1, 'XNNPACK with 2 threads runs one worker beside the main thread');
    assert.ok(report.maxError <= TOL.kernelRelative, `relative error ${report.maxError}`);
  });

  test('exits after shutdownBackend() too', async () => {
    const report = await threadsChild('2', 'shutdown');
    assert.equal(report.info.threads, 2);
  });

  test('a failed threaded start falls back to 1 thread and says why', async () => {
    const report = await threadsChild('2', 'unwritable');
    assert.equal(report.info.name, 'wasm');
    assert.equal(report.info.threads, 1);
    assert.equal(report.info.attempts.length, 2);
    assert.equal(report.info.attempts[0].backend, 'wasm (2 threads)');
    assert.equal(report.info.attempts[0].ok, false);
    assert.match(report.info.attempts[0].reason ?? '', /cannot write the wasm thread files to \/dev\/null\/xbm-drift/);
    assert.deepEqual(report.info.attempts[1], { backend: 'wasm', ok: true });
    assert.equal(report.info.notes.length, 1);
    assert.match(report.info.notes[0], /^wasm with 2 threads could not start \(.+\); running on 1 thread$/);
    assert.ok(report.maxError <= TOL.kernelRelative);
  });

  test('the kernel and model tests pass on 2 threads', async () => {
    const files = ['wasm-kernels.test.ts', 'depthwise-kernels.test.ts', 'conv2d-backprop-filter.test.ts', 'model-gradients.test.ts'].map((f) => join(here, f));
    const run = await runNode(['--test', '--test-concurrency=1', ...files], { XBM_TEST_WASM_THREADS: '2' });
    assert.equal(run.timedOut, false, 'the 2-thread test run timed out');
    assert.equal(run.code, 0, `2-thread test run failed:\n${run.stdout.slice(-4000)}`);
    assert.match(run.stdout, /wasm kernels vs cpu \(2 thread\(s\)\)/);
    assert.match(run.stdout, /reference embedder on wasm vs cpu \(2 thread\(s\)\)/);
    assert.match(run.stdout, /^# fail 0$/m);
  });
});
