/** User-facing texts of src/train/evaluate-run.ts (the `eval` verb): every error defined once. */
export const evalMessages = {
  /** The run has not written a checkpoint yet (stopped or still early): eval needs one. */
  noCheckpointYet: (run: string, every: number) =>
    `${run} has no checkpoint yet, and eval needs one: training writes one ${every > 0 ? `every ${every} iterations (the first at iteration ${every}) and ` : ''}at its end. Wait for ${every > 0 ? `checkpoint ${every}` : 'the end'}, or train further with \`xbm-drift train --resume ${run}\` if it was stopped.`,
  /** The run finished but its checkpoints were removed. */
  checkpointsGone: (run: string) =>
    `${run} has no checkpoint left (checkpoints/ is missing or empty), and eval needs one; its eval.csv, snapshots and analysis stay readable by drift, warmup and report.`,
  badKs: (text: string) => `--ks "${text}" is not a comma-separated list of whole numbers >= 1: write e.g. --ks 1,2,4,8.`,
} as const;
