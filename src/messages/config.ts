/** User-facing texts of src/config: every error and warning defined once. */
export const configMessages = {
  positiveInteger: (flag: string, v: unknown) => `${flag} must be a whole number of at least 1 (got ${v}).`,
  nonNegativeInteger: (flag: string, v: unknown) => `${flag} must be a whole number of at least 0 (got ${v}).`,
  positiveNumber: (flag: string, v: unknown) => `${flag} must be a positive number (got ${v}).`,
  nonNegativeNumber: (flag: string, v: unknown) => `${flag} must be a number of at least 0 (got ${v}).`,
  intList: (flag: string, text: string) => `${flag} takes a comma-separated list of positive whole numbers (got "${text}").`,
  unknownBackend: (name: string, known: readonly string[]) => `Unknown backend "${name}": use one of ${known.join(', ')}.`,
  unknownChoice: (flag: string, v: string, known: readonly string[]) => `${flag} "${v}" is not known: use one of ${known.join(', ')}.`,
  batchNotDivisible: (batch: number, perClass: number) =>
    `--batch-size ${batch} is not divisible by --per-class ${perClass}: a P x K batch needs batch = classes x images per class; choose a multiple of ${perClass} or change --per-class.`,
  batchMismatch: (batch: number, p: number, k: number) =>
    `--batch-size ${batch} does not equal --classes-per-batch ${p} x --per-class ${k} = ${p * k}: give two of the three, or make them agree.`,
  memoryTooSmall: (size: number, batch: number) =>
    `--xbm-size ${size} is smaller than the batch (${batch}): the memory must hold at least one batch; use --xbm-size ${batch} or more, or 0 for no memory.`,
  startWithoutMemory: (start: string) => `--xbm-start ${start} needs a memory: give --xbm-size M (for example 3000).`,
  badXbmStart: (t: string) => `--xbm-start "${t}" is not understood: use an iteration (e.g. 500), off, auto, or auto:<policy> (staleness, plateau).`,
  marginRange: (m: number) => `--margin must be between 0 and 2 for unit-length embeddings (got ${m}).`,
  autoNeedsSnapshots: '--xbm-start auto measures drift from probe snapshots: set --snapshot-every to a positive number (default 50).',
} as const;
