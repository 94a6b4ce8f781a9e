import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';

/**
 * run.lock: who is writing a run folder. `folder` identifies the folder the lock was taken in
 * (device and inode), so the lock inside a copy of a live run is known for what it is.
 */
interface LockInfo { pid: number; host: string; since: string; folder?: string }

export const LOCK_FILE = 'run.lock';

/** Lets a test interleave two takeovers deterministically; the trainer passes none. */
export interface LockHooks { beforeTakeover?: () => void }

/**
 * One writer per run folder. The lock appears whole or not at all (written under a temporary name,
 * then linked into place, which fails if a lock exists), so of two trainings started into one folder
 * only one gets it, and a full disk leaves no empty lock. A lock whose process is gone (kill -9), or
 * that was copied in from another folder, is taken over atomically: see `take`.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string, private readonly text: string) {
    // A crash past the trainer's finally (an uncaught error, process.exit) must not leave the lock.
    process.once('exit', this.onExit);
  }

  static acquire(runDir: string, hooks: LockHooks = {}): RunLock {
    const path = join(runDir, LOCK_FILE);
    const folder = folderIdentity(runDir);
    const text = lockText(folder);
    const stale = (held: string) => {
      const holder = parseLock(held);
      return holder === null || !isAlive(holder) || (holder.folder !== undefined && holder.host === hostname() && holder.folder !== folder);
    };
    if (take(path, text, stale, hooks)) return new RunLock(path, text);
    const holder = parseLock(readText(path) ?? '');
    throw new UserError(M.runLocked(runDir, holder?.pid ?? NaN, holder?.host ?? '?', holder?.since ?? '?'));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    // Only our own lock: never one another process took over after us.
    if (readText(this.path) === this.text) rmSync(this.path, { force: true });
  }
}

const ATTEMPTS = 20;

/**
 * Makes `path` hold `text`: creates it, or replaces what it holds when `stale` says its holder is
 * gone. The replacement is a compare-and-swap built from exclusive creates: only the process that
 * holds the claim `<path>.<inode>.claim` on this stale generation of the file may replace it, and it
 * does so only if the file is still that generation (same inode and content) under the claim. A
 * live lock changes only by its holder's release, a claim is taken only while the lock is stale,
 * and a claim left by a taker that was killed is itself a stale lock, taken over the same way.
 * Returns false when a live process holds `path`.
 */
function take(path: string, text: string, stale: (held: string) => boolean, hooks: LockHooks = {}): boolean {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(path, text)) return true;
    const seen = identity(path);
    if (!seen) continue; // released in between: create it again
    if (!stale(seen.text)) return false;
    hooks.beforeTakeover?.();
    const claim = `${path}.${seen.ino}.claim`;
    if (!take(claim, lockText(), (held) => { const h = parseLock(held); return h === null || !isAlive(h); })) {
      sleep(10); // another process is taking it over right now: look again once it has
      continue;
    }
    try {
      const now = identity(path);
      if (now && now.ino === seen.ino && now.text === seen.text) {
        writeThenMove(path, text, (tmp) => renameSync(tmp, path));
        return true;
      }
    } finally {
      rmSync(claim, { force: true });
    }
  }
  return false;
}

/** Creates `path` holding `text` if nothing is there; false if something is. */
function createExclusive(path: string, text: string): boolean {
  try {
    writeThenMove(path, text, (tmp) => linkSync(tmp, path));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create, the content written at once.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createExclusiveNoLink(path, text);
    throw e;
  }
}

function createExclusiveNoLink(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeFileSync(fd, text);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true }); // ours: created exclusively above
    throw e;
  }
  closeSync(fd);
  return true;
}

/** Writes `text` under a temporary name, lets `move` put it in place, and removes the temporary. */
function writeThenMove(path: string, text: string, move: (tmp: string) => void): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'w' });
    move(tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The file's inode and content, read through one descriptor so both describe the same file; null if absent. */
function identity(path: string): { ino: number; text: string } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return { ino: fstatSync(fd).ino, text: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

function readText(path: string): string | null {
  return identity(path)?.text ?? null;
}

function lockText(folder?: string): string {
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), ...(folder ? { folder } : {}) };
  return JSON.stringify(info) + '\n';
}

/** The folder's device and inode: a copy has its own, a moved or symlinked folder keeps them. */
function folderIdentity(dir: string): string {
  const s = statSync(dir);
  return `${s.dev}:${s.ino}`;
}

function parseLock(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as LockInfo;
    return Number.isInteger(v.pid) && typeof v.host === 'string' ? v : null;
  } catch {
    return null; // unreadable: not written by a live lock holder (locks appear whole)
  }
}

/** A lock from another machine (a shared file system) is respected: we cannot see its process. */
function isAlive(lock: LockInfo): boolean {
  if (lock.host !== hostname()) return true;
  if (lock.pid === process.pid) return true;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
