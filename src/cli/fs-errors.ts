import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { cliMessages, FS_PROBLEMS, type FsAction, type FsProblemCode } from '../messages/cli.js';

const READS = new Set(['read', 'scandir', 'readdir', 'opendir', 'stat', 'lstat', 'fstat', 'access', 'realpath', 'readlink']);

interface FsErrorLike { code?: unknown; path?: unknown; syscall?: unknown; cause?: unknown }

/**
 * A file-system error that is the user's environment, not a bug (a read-only or full disk, a
 * folder without permission, a file where a folder should be), as a one-line UserError naming the
 * path and the problem; null for anything else. Looks through `cause` chains.
 */
export function fsUserError(e: unknown): UserError | null {
  for (let x = e as FsErrorLike | undefined, depth = 0; x && typeof x === 'object' && depth < 5; x = x.cause as FsErrorLike, depth++) {
    const path = typeof x.path === 'string' ? x.path : undefined;
    const syscall = typeof x.syscall === 'string' ? x.syscall : '';
    const code = x.code === 'ENOENT' && syscall === 'mkdir' && path ? mkdirProblem(path) : x.code;
    if (typeof code === 'string' && code in FS_PROBLEMS) {
      const action: FsAction = READS.has(syscall) ? 'read' : syscall === 'open' ? 'open' : 'write';
      return new UserError(cliMessages.fsProblem(action, path, code as FsProblemCode));
    }
  }
  return null;
}

/**
 * Node's recursive mkdir reports ENOENT where a parent cannot be written (a read-only file system
 * among others): ask the nearest existing folder why, so the line names the real problem.
 */
function mkdirProblem(path: string): string | undefined {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}

/**
 * Runs a step that writes under `folder`; a file-system error that names no path (a write to an
 * open file reports none) is given the folder, so its one line can still say where.
 */
export async function writingIn<T>(folder: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const x = e as FsErrorLike;
    if (x && typeof x === 'object' && typeof x.code === 'string' && x.code in FS_PROBLEMS && typeof x.path !== 'string') x.path = folder;
    throw e;
  }
}
