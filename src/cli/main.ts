import yargs, { type CommandModule } from 'yargs';
import { isUserError, UserError } from '../errors.js';
import { cliMessages } from '../messages/cli.js';
import { VERBS } from './verbs.js';

/**
 * Each verb's module is loaded only when that verb runs, so `--help` and input errors answer at
 * once instead of after loading tfjs, Arrow and Vega.
 */
const LOADERS: Record<keyof typeof VERBS, () => Promise<CommandModule<any, any>>> = {
  demo: async () => (await import('./demo.js')).demoCommand,
  train: async () => (await import('./train.js')).trainCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  drift: async () => (await import('./drift.js')).driftCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  warmup: async () => (await import('./warmup.js')).warmupCommand,
  report: async () => (await import('./report.js')).reportCommand,
  sweep: async () => (await import('./sweep.js')).sweepCommand,
};

export async function buildCli(argv: string[]) {
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
  const invoked = argv.find((a) => !a.startsWith('-'));
  for (const [name, verb] of Object.entries(VERBS)) {
    // Only the invoked verb needs its options and handler; the others are listed for --help.
    const module = name === invoked ? await LOADERS[name as keyof typeof VERBS]() : { handler: () => {} };
    cli = cli.command({ ...module, command: verb.usage, describe: verb.describe });
  }
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  // Handlers report a non-zero status through process.exitCode; read it, then leave it as it was.
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await (await buildCli(argv)).parseAsync();
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
