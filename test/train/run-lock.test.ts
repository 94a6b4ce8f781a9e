import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { RunLock } from '../../src/train/run-lock.js';

/** A pid that no process has (a child that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

/** The lock a `kill -9`ed training leaves: its process is gone. */
function plantStaleLock(dir: string): void {
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }) + '\n');
}

test('a lock held by a live process is refused; a stale one is taken over; release removes it', (t) => {
  const dir = tempDir(t);
  const held = RunLock.acquire(dir);
  assert.throws(() => RunLock.acquire(dir), /is being written by another training \(process \d+/);
  held.release();
  assert.equal(existsSync(join(dir, 'run.lock')), false);
  plantStaleLock(dir);
  const taken = RunLock.acquire(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')).pid, process.pid);
  taken.release();
  assert.deepEqual(readdirSync(dir), [], 'no claim or temporary file stays behind');
});

test('two takeovers of one stale lock, interleaved at the worst moment: exactly one wins', (t) => {
  const dir = tempDir(t);
  plantStaleLock(dir);
  let second: RunLock | null = null;
  let secondError: unknown = null;
  // The first taker has judged the lock stale; before it acts, a second taker runs to the end.
  const first = (() => {
    try {
      return RunLock.acquire(dir, {
        beforeTakeover: () => {
          if (second || secondError) return;
          try {
            second = RunLock.acquire(dir);
          } catch (e) {
            secondError = e;
          }
        },
      });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.equal(secondError, null, 'the second taker found only the stale lock: it takes it');
  assert.ok(second, 'the second taker holds the lock');
  assert.ok(first instanceof Error, 'the first taker must not take the lock the second now holds');
  assert.match(first.message, /is being written by another training/);
  const lock = JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8'));
  assert.equal(lock.pid, process.pid);
  (second as RunLock).release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a claim left by a taker killed mid-takeover does not block the run forever', (t) => {
  const dir = tempDir(t);
  plantStaleLock(dir);
  const ino = fs.statSync(join(dir, 'run.lock')).ino;
  writeFileSync(join(dir, `run.lock.${ino}.claim`), JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }) + '\n');
  const lock = RunLock.acquire(dir);
  lock.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a copy of a live run carries its lock: the copy is not blocked, the original still is', (t) => {
  const dir = tempDir(t);
  const original = join(dir, 'a');
  mkdirSync(original);
  const held = RunLock.acquire(original);
  const copy = join(dir, 'b');
  cpSync(original, copy, { recursive: true });
  assert.ok(existsSync(join(copy, 'run.lock')));
  const copied = RunLock.acquire(copy);
  assert.throws(() => RunLock.acquire(original), /is being written by another training/);
  copied.release();
  held.release();
  assert.equal(existsSync(join(original, 'run.lock')), false);
});

test('a full disk while writing the lock leaves no lock file, empty or not', (t) => {
  const dir = tempDir(t);
  const enospc = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  };
  // The failure strikes whichever write the lock uses: the content never reaches the disk.
  const mocks = [mock.method(fs, 'writeSync', enospc)];
  syncBuiltinESMExports();
  try {
    assert.throws(() => RunLock.acquire(dir), /ENOSPC/);
  } finally {
    for (const m of mocks) m.mock.restore();
    syncBuiltinESMExports();
  }
  assert.deepEqual(readdirSync(dir), []);
});
