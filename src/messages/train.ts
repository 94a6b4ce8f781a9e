/** User-facing texts of src/train: every error and warning defined once. */
import { bytes } from '../number-format.js';

export const trainMessages = {
  runExists: (dir: string) => `${dir} already holds a run: choose another --out, add --overwrite to replace it, or continue it with \`xbm-drift train --resume ${dir}\`.`,
  notARun: (dir: string) => `${dir} is not a run folder (no config.json): give the folder a \`xbm-drift train --out\` wrote.`,
  noCheckpoint: (dir: string) =>
    `${dir} has no checkpoint to resume from (it stopped before its first one, or checkpoints/ was removed), so it cannot be resumed. Its tables and snapshots stay readable by drift, warmup and report; to train again, start a new run with another --out (or --overwrite, which replaces this one).`,
  runLocked: (dir: string, pid: number, host: string, since: string) =>
    `${dir} is being written by another training (process ${pid} on ${host}, since ${since}): wait for it to finish, or stop it (Ctrl-C) and then \`xbm-drift train --resume ${dir}\`.`,
  outNotARun: (dir: string) =>
    `--out ${dir} is a folder that holds files but no run (no config.json or run.json): nothing was changed. Give a new or empty folder for the run (--overwrite replaces only a run).`,
  badRunConfig: (path: string, why: string) =>
    `${path} is not a configuration a run could start with (${why}): it was edited or damaged; restore it from a copy, or start a new run.`,
  outIsFile: (path: string) => `--out ${path} is a file, not a folder: give a folder for the run.`,
  runIsFile: (path: string) => `${path} is a file, not a run folder: give the folder a \`xbm-drift train --out\` wrote.`,
  unreadableFile: (path: string, why: string) => `${path} cannot be read (${why}): restore it from a copy, or start a new run.`,
  badCheckpoint: (path: string, why: string) =>
    `The checkpoint file ${path} is damaged (${why}): the run cannot continue or be evaluated from it. Its tables and snapshots stay readable by drift, warmup and report; to train again, start a new run with another --out.`,
  alreadyComplete: (dir: string, it: number) => `${dir} already completed all ${it} iterations: nothing to resume.`,
  finishedRecord: (dir: string) => `${dir} had trained all its iterations but its record was never closed (stopped while finishing): closing it now.`,
  diverged: (it: number, loss: number) => `The loss became ${loss} at iteration ${it}: training stopped. Everything written so far is kept; the last checkpoint is from before it. Try a lower --lr or a smaller --xbm-weight.`,
  resuming: (dir: string, it: number, of: number) => `Resuming ${dir} at iteration ${it} of ${of}.`,
  starting: (name: string, dataset: string, backend: { name: string; threads?: number | null }, batch: number, iterations: number) =>
    `${name}: ${dataset}; backend ${backend.name}${backend.threads ? ` (${backend.threads} thread${backend.threads > 1 ? 's' : ''})` : ''}; batch ${batch}; ${iterations} iterations.`,
  interrupted: (dir: string, it: number) => `Interrupted after iteration ${it}; files flushed and a checkpoint saved. Continue with \`xbm-drift train --resume ${dir}\`.`,
  lossExploded: (it: number, memoryLoss: number, before: number) =>
    `Warning: the memory loss exploded after XBM started (${memoryLoss.toPrecision(3)} at iteration ${it}, ${before.toPrecision(3)} at the start): the run may be collapsing (see run.json "collapse").`,
  autoNotReached: (threshold: number) =>
    `The drift never fell below the threshold ${threshold.toPrecision(3)}: XBM was never switched on, this run trained without it.`,
  collapsed: (signals: string) => `Collapse detected: ${signals}`,
  stepTooLarge: (batch: number, microBatch: number | undefined, need: number, limit: { bytes: number; what: string }, fits: { microBatch: number; bytes: number } | null, atOne: number) =>
    `A training step at batch ${batch}${microBatch === undefined ? '' : ` with --micro-batch ${microBatch}`} needs about ${bytes(need)} of tensors, over the ${bytes(limit.bytes)} of ${limit.what}: nothing was written. ` +
    (fits
      ? `${microBatch === undefined ? 'Add' : 'Use'} --micro-batch ${fits.microBatch} (about ${bytes(fits.bytes)}; the same update, chunk by chunk), or use a smaller --batch-size.`
      : `Even --micro-batch 1 needs about ${bytes(atOne)}: use a smaller --batch-size or --xbm-size, or a smaller model or --image-size.`),
  stepNearLimit: (batch: number, microBatch: number | undefined, need: number, limit: { bytes: number; what: string }, fits: { microBatch: number; bytes: number } | null) =>
    `Warning: a training step at batch ${batch}${microBatch === undefined ? '' : ` with --micro-batch ${microBatch}`} needs about ${bytes(need)} of tensors, ${Math.round((100 * need) / limit.bytes)}% of the ${bytes(limit.bytes)} of ${limit.what}; ` +
    `the backend's scratch buffers come on top, so it may fail or stall${fits ? `: --micro-batch ${fits.microBatch} needs about ${bytes(fits.bytes)} (the same update, chunk by chunk)` : ''}.`,
  microBatchStep: (n: number, syncReads: boolean) =>
    `--micro-batch ${n}: each step embeds and back-propagates its batch in chunks of ${n} (gradient caching: the whole batch's update, one more forward pass per chunk)${syncReads ? '' : ', its loss kernels on the host (record, await, replay)'}.`,
} as const;
