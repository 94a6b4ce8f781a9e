/** User-facing texts of src/analysis/drift*: every error and warning defined once. */

/** At most `max` numbers of a long list, with a count, so a message stays one readable line. */
function listNumbers(values: readonly number[], max = 12): string {
  if (values.length === 0) return 'none';
  if (values.length <= max) return values.join(', ');
  return `${values.slice(0, max - 1).join(', ')}, ..., ${values[values.length - 1]} (${values.length} values)`;
}

export const driftMessages = {
  badGapList: (text: string) =>
    `--gaps "${text}" is not a comma-separated list of positive whole numbers (iterations between two snapshots): write e.g. --gaps 10,100,1000.`,
  badGap: (gap: number) =>
    `Gap ${gap} is not a non-negative whole number of iterations: use gaps such as 10, 100, 1000.`,
  unsupportedGaps: (runDir: string, gaps: readonly number[], possible: readonly number[]) =>
    `warning: no two snapshots of ${runDir} are ${listNumbers(gaps)} iterations apart, so those gaps give no rows; possible gaps: ${listNumbers(possible)}.`,
  oneSnapshot: (runDir: string, iteration: number) =>
    `warning: ${runDir} has a single snapshot (iteration ${iteration}), so drift needs at least two: train longer or snapshot more often.`,
  badNeighbourLimit: (value: number) =>
    `--neighbour-limit ${value} is not a whole number >= 2: give the number of probe samples to search, e.g. 2000.`,
  neighbourLimited: (used: number, probe: number) =>
    `note: neighbour churn uses the first ${used} of ${probe} probe samples (--neighbour-limit); raise it for all, at O(n^2 d) cost.`,
  fileNotRun: (path: string, runDir: string | null) =>
    `${path} is a file, not a run folder: drift reads all snapshots of a run${runDir ? ` (this file's run: xbm-drift drift ${runDir})` : ' (give runs/<name>)'}${path.endsWith('.arrow') ? `; to describe one Arrow file, use \`xbm-drift inspect ${path}\`` : ''}.`,
  notARun: (path: string) =>
    `${path} is not a run folder: give the folder of a run (runs/<name>), which holds snapshots/.`,
  noPossibleGap: (runDir: string, gaps: readonly number[], possible: readonly number[]) =>
    possible.length === 0
      ? `${runDir} has a single snapshot, so drift has no rows at any gap (analysis/ is left as it was): train longer or snapshot more often.`
      : `No two snapshots of ${runDir} are ${listNumbers(gaps)} iterations apart, so drift would have no rows (analysis/ is left as it was): ` +
        `give gaps of at most ${possible[possible.length - 1]} that the snapshots support (possible: ${listNumbers(possible)}).`,
  noDriftNoSnapshots: (runDir: string) =>
    `${runDir} has no analysis/drift.csv and no snapshots/ to compute it from: train it with snapshots (--snapshot-every), or give a run that has them.`,
  computingMissing: (runDir: string, gaps: readonly number[], hadTable: boolean) =>
    `computing drift of ${runDir} at gaps ${listNumbers(gaps)} first (${hadTable ? 'analysis/drift.csv had none' : 'the run had no analysis/drift.csv'})`,
} as const;
