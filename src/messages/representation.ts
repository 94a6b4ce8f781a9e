/**
 * User-facing texts of the representation analyses (PCA trajectories, linear CKA), their report
 * figures and scripts/paper-figures.ts: every error and warning defined once.
 */
export const representationMessages = {
  // analysis
  badShape: (what: string, values: number, rows: number, dim: number) =>
    `${what}: ${values} values are not ${rows} rows of width ${dim}: pass an n x d row-major matrix with n = ${rows}, d = ${dim}.`,
  tooFewRows: (what: string, rows: number, need: number) =>
    `${what}: ${rows} sample(s) are too few (need at least ${need}): snapshot a larger probe set (--probe-size).`,
  rowMismatch: (rowsX: number, rowsY: number) =>
    `linear CKA compares the same samples: X has ${rowsX} rows, Y ${rowsY}; pass two snapshots of one probe set.`,
  badComponents: (k: number, dim: number) => `PCA: ${k} components asked of a ${dim}-dimensional embedding: ask for 1 to ${dim}.`,

  // report figures
  noSnapshots: 'No run has probe snapshots (snapshots/*.arrow): train with --snapshot-every > 0 for trajectories and CKA.',
  oneSnapshot: 'No run has two or more probe snapshots: train with --snapshot-every > 0 for trajectories and CKA.',
  noCkaPairs: 'No run has a pair of snapshots at the drift gaps: train with denser snapshots (--snapshot-every, --snapshot-offsets).',
  snapshotsUnreadable: (run: string, problem: string) => `${run}: its snapshots were left out of the trajectory and CKA figures: ${problem}`,
  runsLeftOut: (shown: number, total: number) => `${total - shown} of ${total} runs with snapshots are left out (the first ${shown} are drawn); report those runs on their own to see them.`,
  referenceBeforeStart: (iteration: number, start: number) => `axes fitted on iteration ${iteration}, the last snapshot before the XBM start (${start})`,
  referenceLast: (iteration: number, why: string) => `axes fitted on iteration ${iteration}, the last snapshot (${why})`,

  // scripts/paper-figures.ts
  badBudget: (value: string) => `--budget ${value}: use --budget small (a quick local look) or --budget paper (the full plan).`,
  badIterations: (value: string) => `--iterations ${value}: give a whole number >= 2.`,
  unknownFlag: (flag: string) =>
    `${flag} is not a paper-figures flag: use --out, --budget, --iterations, --seeds, --drift-runs, --points, --plan, --run, --collect, --slurm, --k8s (see --help).`,
  badSeeds: (value: string) => `--seeds ${value}: give how many seeds to train every point with, a whole number >= 1 (3 unless told).`,
  seedAfterDashes: '--seed after -- would give every point the same seed: the plan trains each point once per seed; give --seeds N instead.',
  driftRunsNotRuns: (dirs: string[]) => `--drift-runs: ${dirs.join(', ')} ${dirs.length === 1 ? 'is not a run folder' : 'are not run folders'} with snapshots; give training runs (their run.json and snapshots/), separated by commas.`,
  driftRunsOnlyCollect: '--drift-runs is read by --collect only (it names longer runs whose drift the slow-drift claim reads); give it with --collect.',
  needOut: 'Give the sweep folder with --out <dir>.',
  badPoints: (value: string, n: number) => `--points ${value}: give point indices from 0 to ${n - 1} (the first column of plan.tsv), e.g. --points 0,3.`,
  pointsNotIndices: (value: string) => `--points ${value}: give whole point indices separated by commas (the first column of plan.tsv), e.g. --points 0,3.`,
  twoModes: (a: string, b: string) => `--${a} and --${b} exclude each other: give one of --plan, --run, --collect, --slurm, --k8s.`,
} as const;
