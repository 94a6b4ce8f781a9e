import yargs, { type CommandModule } from 'yargs';
import { isUserError, UserError } from '../errors.js';
import { cliMessages } from '../messages/cli.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { driftCommand } from './drift.js';
import { inspectCommand } from './inspect.js';

/**
 * The xbm-drift CLI: one yargs command module per verb (src/cli/<verb>.ts). A handler turns flags
 * into a validated config and calls the library; user errors become one line and exit code 2.
 */
const commands: CommandModule<any, any>[] = [trainCommand, evalCommand, driftCommand, inspectCommand];

export function buildCli(argv: string[]) {
  let cli = yargs(argv)
    .scriptName('xbm-drift')
    .strict()
    .demandCommand(1, cliMessages.noCommand)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      throw err ?? new UserError(cliMessages.badArguments(msg));
    });
  for (const c of commands) cli = cli.command(c);
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli(argv).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`xbm-drift: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
