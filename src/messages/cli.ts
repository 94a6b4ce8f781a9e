/** User-facing texts of src/cli: every error and warning defined once. */
export const cliMessages = {
  noCommand: 'Give a command: run `xbm-drift --help` to list them.',
  badArguments: (msg: string) => `${msg} Run the command with --help to see its options.`,
  repeatedFlag: (flag: string) => `--${flag} was given more than once: give it once.`,
} as const;
