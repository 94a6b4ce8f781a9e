import type { FlagSpec } from '../flag-spec.js';
import { UserError } from '../errors.js';
import { configMessages as M } from '../messages/config.js';
import { positiveIntFlag } from './flag-checks.js';

/**
 * --micro-batch N: the step embeds and back-propagates the batch N samples at a time (gradient
 * caching, train/gradient-cache.ts), so its memory follows N, not the batch; the update is the
 * full batch's. Declared once here: the CLI's option, TrainFlags and config.json's `microBatch`
 * come from it. Not given: the whole batch in one pass (config.json then has no `microBatch`).
 */
export const MICRO_BATCH_FLAG = {
  name: 'micro-batch',
  type: 'number',
  describe: 'embed and back-propagate the batch N samples at a time (exact gradient caching): the same update as the whole batch, with the memory of N; the last chunk holds the remainder (default: the whole batch at once)',
} as const satisfies FlagSpec;

/** The chunk size, checked against the batch; undefined when not given. */
export function resolveMicroBatch(given: number | undefined, batchSize: number): number | undefined {
  if (given === undefined) return undefined;
  const n = positiveIntFlag(`--${MICRO_BATCH_FLAG.name}`, given);
  if (n > batchSize) throw new UserError(M.microBatchOverBatch(n, batchSize));
  return n;
}
