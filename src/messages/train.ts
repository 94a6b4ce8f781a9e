/** User-facing texts of src/train: every error and warning defined once. */
export const trainMessages = {
  runExists: (dir: string) => `${dir} already holds a run: choose another --out, add --overwrite to replace it, or continue it with \`xbm-drift train --resume ${dir}\`.`,
  notARun: (dir: string) => `${dir} is not a run folder (no config.json): give the folder a \`xbm-drift train --out\` wrote.`,
  noCheckpoint: (dir: string) => `${dir} has no checkpoint to resume from: it stopped before its first checkpoint; start it again with --overwrite.`,
  alreadyComplete: (dir: string, it: number) => `${dir} already completed all ${it} iterations: nothing to resume.`,
  diverged: (it: number, loss: number) => `The loss became ${loss} at iteration ${it}: training stopped. Everything written so far is kept; the last checkpoint is from before it. Try a lower --lr or a smaller --xbm-weight.`,
  interrupted: (dir: string, it: number) => `Interrupted after iteration ${it}; files flushed and a checkpoint saved. Continue with \`xbm-drift train --resume ${dir}\`.`,
  lossExploded: (it: number, memoryLoss: number, before: number) =>
    `Warning: the memory loss exploded after XBM started (${memoryLoss.toPrecision(3)} at iteration ${it}, ${before.toPrecision(3)} at the start): the run may be collapsing (see run.json "collapse").`,
  autoNotReached: (threshold: number) =>
    `The drift never fell below the threshold ${threshold.toPrecision(3)}: XBM was never switched on, this run trained without it.`,
  collapsed: (signals: string) => `Collapse detected: ${signals}`,
} as const;
