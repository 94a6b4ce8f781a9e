import yargs, { type Argv, type CommandModule } from 'yargs';
import { isUserError, UserError } from '../errors.js';
import { cliMessages, YARGS_SKIP, YARGS_STRINGS } from '../messages/cli.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { fsUserError } from './fs-errors.js';
import { consoleOutput } from './output.js';
import { VERBS } from './verbs.js';

/**
 * Each verb's module is loaded only when that verb runs, so `--help` and input errors answer at
 * once instead of after loading tfjs, Arrow and Vega.
 */
const LOADERS: Record<keyof typeof VERBS, () => Promise<CommandModule<any, any>>> = {
  demo: async () => (await import('./demo.js')).demoCommand,
  train: async () => (await import('./train.js')).trainCommand,
  pretrain: async () => (await import('./pretrain.js')).pretrainCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  drift: async () => (await import('./drift.js')).driftCommand,
  inspect: async () => (await import('./inspect.js')).inspectCommand,
  warmup: async () => (await import('./warmup.js')).warmupCommand,
  report: async () => (await import('./report.js')).reportCommand,
  sweep: async () => (await import('./sweep.js')).sweepCommand,
  import: async () => (await import('./import.js')).importCommand,
};

export async function buildCli(argv: string[]) {
  let cli = yargs(argv)
    .scriptName('xbm-drift')
    .strict()
    .demandCommand(1, cliMessages.noCommand)
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version('version', 'Print the version and exit', PACKAGE_VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .middleware((parsed) => {
      // A flag given twice arrives as an array; only options declared as arrays may repeat.
      const arrays = new Set<string>((cli as unknown as { getOptions(): { array: string[] } }).getOptions().array);
      for (const [key, value] of Object.entries(parsed)) {
        if (Array.isArray(value) && key !== '_' && !arrays.has(key) && !key.includes('-')) {
          throw new UserError(cliMessages.repeatedFlag(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)));
        }
      }
    }, true);
  cli = oneLineFailures(cli);
  const invoked = argv.find((a) => !a.startsWith('-'));
  for (const [name, verb] of Object.entries(VERBS)) {
    // Only the invoked verb needs its options and handler; the others are listed for --help.
    const module = name === invoked ? await LOADERS[name as keyof typeof VERBS]() : { handler: () => {} };
    cli = cli.command({ ...module, command: verb.usage, describe: verb.describe });
  }
  return cli;
}

/** yargs' texts reworded (English whatever the locale) and every failure thrown as yargsFailure makes it. */
export function oneLineFailures<T>(y: Argv<T>): Argv<T> {
  return y
    .locale('en')
    .updateStrings(YARGS_STRINGS as unknown as Record<string, string>)
    .fail((msg, err) => {
      // A text yargs follows with a better one (YARGS_STRINGS): wait for that.
      if (!err && msg?.startsWith(YARGS_SKIP)) return;
      throw yargsFailure(msg, err);
    });
}

/**
 * What a yargs failure becomes. A validation failure (yargs' text, a YError, an error thrown by a
 * check: yargs passes a message with those) is one UserError line, `xbm-drift: ...`, whatever
 * lines yargs split it over. A UserError passes as is. An error a handler threw (no message from
 * yargs) passes as is too: main() turns file-system trouble into one line, and a bug keeps its stack.
 */
export function yargsFailure(msg: string | null | undefined, err: Error | undefined): Error {
  if (err && (isUserError(err) || !msg)) return err;
  const text = (msg || err?.message || '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return new UserError(cliMessages.badArguments(text));
}

export async function main(argv: string[]): Promise<number> {
  // Handlers report a non-zero status through process.exitCode; read it, then leave it as it was.
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await (await buildCli(argv)).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Input problems, and a disk or folder the user must fix, are one line; anything else is a bug.
    const user = isUserError(e) ? e : fsUserError(e);
    if (user) {
      consoleOutput.err(user.message);
      return user.exitCode;
    }
    throw e;
  } finally {
    process.exitCode = before;
  }
}
