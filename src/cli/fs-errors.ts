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
    if (typeof x.code === 'string' && x.code in FS_PROBLEMS) {
      const syscall = typeof x.syscall === 'string' ? x.syscall : '';
      const action: FsAction = READS.has(syscall) ? 'read' : syscall === 'open' ? 'open' : 'write';
      return new UserError(cliMessages.fsProblem(action, typeof x.path === 'string' ? x.path : undefined, x.code as FsProblemCode));
    }
  }
  return null;
}
