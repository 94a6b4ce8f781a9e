import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';

/** run.lock: who is writing a run folder. Removed when that process ends, however it ends. */
interface LockInfo { pid: number; host: string; since: string }

const LOCK_FILE = 'run.lock';

/**
 * One writer per run folder. The lock file is created exclusively (O_EXCL), so of two trainings
 * started into one folder only one gets it; a lock left by a process that no longer runs (kill -9)
 * is taken over. Held by the trainer from before the first write to after the last one.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    // A crash past the trainer's finally (an uncaught error, process.exit) must not leave the lock.
    process.once('exit', this.onExit);
  }

  static acquire(runDir: string): RunLock {
    const path = join(runDir, LOCK_FILE);
    const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(info) + '\n', { flag: 'wx' });
        return new RunLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readLock(path);
      if (holder && isAlive(holder)) throw new UserError(M.runLocked(runDir, holder.pid, holder.host, holder.since));
      rmSync(path, { force: true }); // stale: its process is gone
    }
    throw new UserError(M.runLocked(runDir, NaN, '?', '?'));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    rmSync(this.path, { force: true });
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(v.pid) ? v : null;
  } catch {
    return null; // unreadable: a writer died while creating it
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
