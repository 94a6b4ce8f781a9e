import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsUserError, writingIn } from '../../src/cli/fs-errors.js';
import { yargsFailure } from '../../src/cli/main.js';
import { UserError } from '../../src/errors.js';
import { cliMessages, FS_PROBLEMS } from '../../src/messages/cli.js';

/** An error shaped as node:fs throws it. */
function fsError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: something, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  Object.assign(e, { code, syscall, errno: -1, ...(path ? { path } : {}) });
  return e;
}

test('a read-only, full or forbidden disk is one line naming the path and the problem', () => {
  const cases: [NodeJS.ErrnoException, string][] = [
    [fsError('EACCES', 'mkdir', '/ro/run'), 'cannot write /ro/run: permission denied — check its permissions or choose a writable --out.'],
    [fsError('EPERM', 'rename', '/ro/run/run.json.tmp'), 'cannot write /ro/run/run.json.tmp: operation not permitted — check its permissions or choose a writable --out.'],
    [fsError('EROFS', 'open', '/mnt/cd/run/config.json'), 'cannot open /mnt/cd/run/config.json: the file system is read-only — choose a writable --out.'],
    [fsError('ENOSPC', 'write', '/full/run/metrics.csv'), 'cannot write /full/run/metrics.csv: no space left on the disk — free some space or choose another --out.'],
    [fsError('ENOSPC', 'write'), 'cannot write: no space left on the disk — free some space or choose another --out.'],
    [fsError('ENOTDIR', 'mkdir', '/a-file/run'), 'cannot write /a-file/run: a part of the path is a file, not a folder — choose another --out.'],
    [fsError('EISDIR', 'read', '/runs/x'), 'cannot read /runs/x: it is a folder, not a file — check the path.'],
    [fsError('EACCES', 'scandir', '/secret'), 'cannot read /secret: permission denied — check its permissions.'],
  ];
  for (const [e, expected] of cases) {
    const u = fsUserError(e);
    assert.ok(u instanceof UserError, `${e.code} becomes a UserError`);
    assert.equal(u.message, expected);
    assert.equal(u.exitCode, 2);
  }
  for (const code of Object.keys(FS_PROBLEMS)) {
    const text = fsUserError(fsError(code, 'open', '/p'))!.message;
    assert.ok(!text.includes('\n') && text.includes('/p'), text);
  }
});

test('a file-system error wrapped as a cause is found; anything else is left to surface as a bug', () => {
  const wrapped = new Error('could not save the checkpoint', { cause: fsError('ENOSPC', 'write', '/full/ckpt/weights.bin') });
  assert.equal(fsUserError(wrapped)!.message, cliMessages.fsProblem('write', '/full/ckpt/weights.bin', 'ENOSPC'));
  assert.equal(fsUserError(new TypeError('x is undefined')), null);
  assert.equal(fsUserError(fsError('ENOENT', 'open', '/nope')), null);
  assert.equal(fsUserError('a string'), null);
  assert.equal(fsUserError(undefined), null);
});

test('a yargs failure becomes one UserError line; a handler\'s own error keeps its identity', () => {
  const choice = yargsFailure('\n  --sampler "foo" is not a valid choice: give one of "pk", "shuffle".', undefined);
  assert.ok(choice instanceof UserError);
  assert.equal(choice.message, cliMessages.badArguments('--sampler "foo" is not a valid choice: give one of "pk", "shuffle".'));
  const yError = Object.assign(new Error('--ks needs a value.'), { name: 'YError' });
  assert.equal(yargsFailure(yError.message, yError).message, cliMessages.badArguments('--ks needs a value.'));
  // An Error thrown by a check: yargs passes its message, so it is input, not a bug.
  const checked = new Error('two\nlines');
  assert.equal(yargsFailure(checked.message, checked).message, cliMessages.badArguments('two lines'));
  const user = new UserError('said once');
  assert.equal(yargsFailure(user.message, user), user);
  const bug = new TypeError('x is undefined');
  assert.equal(yargsFailure(null, bug), bug);
});

test('a write error that names no path is given the folder being written', async () => {
  await assert.rejects(writingIn('/full/run', () => {
    throw fsError('ENOSPC', 'write');
  }), (e: unknown) => fsUserError(e)!.message === cliMessages.fsProblem('write', '/full/run', 'ENOSPC'));
  await assert.rejects(writingIn('/full/run', async () => {
    throw fsError('ENOSPC', 'open', '/full/run/a.tmp');
  }), (e: unknown) => fsUserError(e)!.message === cliMessages.fsProblem('open', '/full/run/a.tmp', 'ENOSPC'));
  assert.equal(await writingIn('/x', () => 7), 7);
});

test('ENOENT from a recursive mkdir is a bug unless the nearest existing folder says why', () => {
  // Under a writable folder there is no environment problem to name: leave it to surface.
  assert.equal(fsUserError(fsError('ENOENT', 'mkdir', join(tmpdir(), 'no', 'such', 'run'))), null);
});
