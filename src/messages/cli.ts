/** User-facing texts of src/cli: every error and warning defined once. */

/** File-system error codes the CLI explains in one line instead of a stack trace. */
export const FS_PROBLEMS = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'a file of that name is already there',
} as const;
export type FsProblemCode = keyof typeof FS_PROBLEMS;
export type FsAction = 'write' | 'read' | 'open';

export const cliMessages = {
  noCommand: 'Give a command: run `xbm-drift --help` to list them.',
  badArguments: (msg: string) => (msg.includes('--help') ? msg : `${msg} Run the command with --help to see its options.`),
  repeatedFlag: (flag: string) => `--${flag} was given more than once: give it once.`,
  trainNeedsOut: 'Give --out <folder> for a new run, or --resume <run> to continue one.',
  flagNeedsValue: (flag: string, what: string) => `--${flag} needs a value: give ${what}.`,
  resumeIgnoresFlags: (flags: readonly string[], run: string) =>
    `${flags.map((f) => `--${f}`).join(', ')} cannot be used with --resume: a resumed run continues with its saved config (${run}/config.json). Drop ${flags.length === 1 ? 'it' : 'them'} (to train with other settings, start a new run: --out without --resume).`,
  interrupted: (signal: string) =>
    `${signal === 'SIGINT' ? 'Interrupt' : signal}: finishing this step and saving; ${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again stops at once.`,
  runWithoutSnapshots: (run: string) =>
    `${run} is a run folder without snapshots yet (no snapshots/): inspect describes snapshots, which training writes every --snapshot-every iterations; wait for the first, or train with --snapshot-every > 0.`,
  /** A file-system error reaching the CLI: the path, the problem, what to do. */
  fsProblem: (action: FsAction, path: string | undefined, code: FsProblemCode) => {
    const advice = code === 'ENOSPC' || code === 'EDQUOT'
      ? 'free some space or choose another --out'
      : code === 'EROFS'
        ? 'choose a writable --out'
        : code === 'EACCES' || code === 'EPERM'
          ? action === 'read' ? 'check its permissions' : 'check its permissions or choose a writable --out'
          : action === 'read' ? 'check the path' : 'choose another --out';
    return `cannot ${action}${path ? ` ${path}` : ''}: ${FS_PROBLEMS[code]} — ${advice}.`;
  },
} as const;

/** Marks a yargs text the fail handler passes over, because a better one follows. */
export const YARGS_SKIP = '[skip]';

/**
 * yargs' own validation texts, reworded so that each failure is one line naming the flag; the
 * fail handler joins what yargs still splits over lines. Keys are yargs' message ids.
 */
export const YARGS_STRINGS = {
  'Invalid values:': ' ', // dropped (an empty string would not replace it): each bad value says it all
  'Argument: %s, Given: %s, Choices: %s': '--%s %s is not a valid choice: give one of %s.',
  'Not enough arguments following: %s': '--%s needs a value.',
  // Skipped (YARGS_SKIP): yargs follows it with 'Missing required argument', which names the argument.
  'Not enough non-option arguments: got %s, need at least %s': { one: `${YARGS_SKIP} %s %s`, other: `${YARGS_SKIP} %s %s` },
  'Missing required argument: %s': { one: 'Give the <%s> argument.', other: 'Give the <%s> arguments.' },
  'Did you mean %s?': 'Unknown command: did you mean %s?',
  'Unknown argument: %s': { one: 'Unknown argument: %s.', other: 'Unknown arguments: %s.' },
  'Unknown command: %s': { one: 'Unknown command: %s.', other: 'Unknown commands: %s.' },
} as const;
