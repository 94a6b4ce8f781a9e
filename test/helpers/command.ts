import yargs, { type CommandModule } from 'yargs';
import { oneLineFailures } from '../../src/cli/main.js';
import type { CliOutput } from '../../src/cli/output.js';

/** What a command printed: result lines, warnings and errors, progress lines. */
export interface Captured { out: string[]; err: string[]; log: string[] }

/** A CliOutput that keeps the lines, for a command's parse context. */
export function captureOutput(): { output: Required<CliOutput> } & Captured {
  const c: Captured = { out: [], err: [], log: [] };
  return { ...c, output: { out: (l) => c.out.push(l), err: (l) => c.err.push(l), log: (l) => c.log.push(l) } };
}

/**
 * Runs one command module in-process as main.ts does (strict, yargs failures and UserErrors
 * thrown as one-line UserErrors), with its output captured.
 */
export async function runCommand(command: CommandModule<any, any>, argv: string[]): Promise<Captured> {
  const { output, ...captured } = captureOutput();
  await oneLineFailures(yargs().strict().command(command)).parseAsync(argv, { output });
  return captured;
}
