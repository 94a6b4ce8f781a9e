/** User-facing texts of src/cli: every error and warning defined once. */
export const cliMessages = {} as const;
