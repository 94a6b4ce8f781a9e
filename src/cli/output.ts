/**
 * Where every verb prints, defined once: results on stdout, warnings and errors on stderr with the
 * program's name, progress on stderr as is. A command takes a replacement from yargs' parse
 * context (`output`), so tests capture lines instead of patching process.stdout.
 */
export interface CliOutput {
  /** a line of the result (stdout) */
  out(line: string): void;
  /** a warning or an error (stderr, prefixed `xbm-drift: `) */
  err(line: string): void;
  /** a progress line (stderr, unprefixed); optional in captures, which then drop it */
  log?(line: string): void;
}

export const PROGRAM = 'xbm-drift';

export const consoleOutput: Required<CliOutput> = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${PROGRAM}: ${line}\n`),
  log: (line) => process.stderr.write(`${line}\n`),
};

/** The output a command should use: the one in its parse context, or the console. */
export function outputOf(args: { output?: CliOutput }): Required<CliOutput> {
  const o = args.output;
  if (!o) return consoleOutput;
  return { out: (l) => o.out(l), err: (l) => o.err(l), log: (l) => o.log?.(l) };
}
