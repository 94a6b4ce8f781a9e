import yargs, { type CommandModule } from 'yargs';
import { isUserError, UserError } from '../errors.js';
import { cliMessages } from '../messages/cli.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { driftCommand } from './drift.js';
import { inspectCommand } from './inspect.js';
import { demoCommand } from './demo.js';
import { warmupCommand } from './warmup.js';

/**
 * The xbm-drift CLI: one yargs command module per verb (src/cli/<verb>.ts). A handler turns flags
 * into a validated config and calls the library; user errors become one line and exit code 2.
 */
const commands: CommandModule<any, any>[] = [demoCommand, trainCommand, evalCommand, driftCommand, inspectCommand, warmupCommand];

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
    .middleware((parsed) => {
      // A flag given twice arrives as an array; only options declared as arrays may repeat.
      const arrays = new Set<string>((cli as unknown as { getOptions(): { array: string[] } }).getOptions().array);
      for (const [key, value] of Object.entries(parsed)) {
        if (Array.isArray(value) && key !== '_' && !arrays.has(key) && !key.includes('-')) {
          throw new UserError(cliMessages.repeatedFlag(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)));
        }
      }
    }, true)
    .fail((msg, err) => {
      throw err ?? new UserError(cliMessages.badArguments(msg));
    });
  for (const c of commands) cli = cli.command(c);
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  // Handlers report a non-zero status through process.exitCode; read it, then leave it as it was.
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await buildCli(argv).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`xbm-drift: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  } finally {
    process.exitCode = before;
  }
}
