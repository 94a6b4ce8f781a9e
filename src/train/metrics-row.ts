import type { MetricsRow } from '../io/tables.js';
import type { CrossBatchMemory } from '../memory/cross-batch-memory.js';
import type { StepResult } from './step.js';

/** Where the time of one iteration went (ms): loading its batch, and the step. */
export interface IterationTimes { data: number; step: number }

/**
 * metrics.csv's row for step t (docs/run-folder.md: the columns). drift_s and event are filled at
 * the boundary, after the instruments ran.
 */
export function metricsRow(t: number, epoch: number, lr: number, memoryLoss: boolean, r: StepResult, memory: CrossBatchMemory | null, ms: IterationTimes): MetricsRow {
  const ages = memory ? memory.ages(t) : { min: NaN, mean: NaN, max: NaN };
  return {
    iteration: t, epoch, loss: r.loss, batch_loss: r.batchLoss, memory_loss: r.memoryLoss, lr, xbm_active: memoryLoss ? 1 : 0,
    memory_fill: memory?.size ?? 0, memory_bytes: memory?.bytes ?? 0, memory_age_min: ages.min, memory_age_mean: ages.mean, memory_age_max: ages.max,
    batch_pos_pairs: r.batchStats.positive, batch_neg_pairs: r.batchStats.negative, batch_active_pairs: r.batchStats.active,
    memory_pos_pairs: r.memoryStats.positive, memory_neg_pairs: r.memoryStats.negative, memory_active_pairs: r.memoryStats.active,
    ms_per_iteration: ms.data + ms.step, ms_data: ms.data, ms_step: ms.step, drift_s: NaN, event: '',
  };
}
