import yargs, { type CommandModule } from 'yargs';
import { UserError } from '../../src/errors.js';
import { cliMessages } from '../../src/messages/cli.js';

/**
 * Parse `args` with one command module the way src/cli/main.ts does (strict, failures become
 * UserErrors). With `capture`, the command's handler is replaced and the parsed argv returned.
 */
export async function runCommand<T>(cmd: CommandModule<any, any>, args: string[], capture = false): Promise<T | undefined> {
  let seen: T | undefined;
  // A copy: yargs edits argv after the handler returns (it folds `--` back into `_`).
  const module: CommandModule<any, any> = capture ? { ...cmd, handler: (argv: object) => void (seen = { ...argv } as T) } : cmd;
  await yargs(args)
    .strict()
    .command(module)
    .demandCommand(1)
    .fail((msg, err) => {
      throw err ?? new UserError(cliMessages.badArguments(msg));
    })
    .parseAsync();
  return seen;
}
