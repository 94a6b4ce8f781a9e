import type { AdaptEnv, AdaptInput, AdaptStrategy, MemoryAdapter } from './adapter.js';
import { normaliseRows } from './adapter.js';

/**
 * Adaptive Cross Batch Normalization (Ajanthan et al. 2023), per dimension: the stored rows are
 * standardised with the memory's own mean and spread, rescaled to a smoothed estimate of the
 * current batch's, and renormalised to unit length, in place at every step.
 *
 * The paper smooths the batch statistics with a Kalman filter; ours with an exponential moving
 * average (one parameter, no noise model to fit). A batch's statistics are noisy mostly because a
 * P x K batch holds P of the split's C classes, so the default horizon is the number of batches
 * that see every class once, h = ceil(C / P), as an EMA with the centre of mass of an h-batch
 * window: alpha = 2 / (h + 1). (h = M / B, the memory's turnover, would lag the model as much as
 * the memory itself and correct nothing.)
 */
export function momentsSmoothing(env: Pick<AdaptEnv, 'trainClasses' | 'classesPerBatch'>): number {
  const h = Math.max(1, Math.ceil(env.trainClasses / Math.max(1, env.classesPerBatch)));
  return 2 / (h + 1);
}

/** Spreads below this are treated as collapsed dimensions: left unscaled rather than blown up. */
export const MIN_VARIANCE = 1e-12;

export class MomentsAdapter implements MemoryAdapter {
  /** the smoothed batch mean and variance per dimension, [2, dim]; float32 so a checkpoint holds them exactly */
  private estimate: Float32Array | null = null;

  constructor(readonly dim: number, readonly alpha: number) {}

  adapt({ rows, size, dim, batch }: AdaptInput): void {
    const n = batch.length / dim;
    if (n === 0) return;
    const [batchMean, batchVar] = moments(batch, n, dim);
    if (this.estimate === null) {
      this.estimate = new Float32Array(2 * dim);
      for (let k = 0; k < dim; k++) {
        this.estimate[k] = batchMean[k];
        this.estimate[dim + k] = batchVar[k];
      }
    } else {
      const a = this.alpha;
      for (let k = 0; k < dim; k++) {
        this.estimate[k] = (1 - a) * this.estimate[k] + a * batchMean[k];
        this.estimate[dim + k] = (1 - a) * this.estimate[dim + k] + a * batchVar[k];
      }
    }
    if (size === 0) return;
    const [memMean, memVar] = moments(rows, size, dim);
    for (let k = 0; k < dim; k++) {
      const scale = memVar[k] > MIN_VARIANCE ? Math.sqrt(this.estimate[dim + k] / memVar[k]) : 1;
      const shift = this.estimate[k];
      for (let j = 0; j < size; j++) {
        const i = j * dim + k;
        rows[i] = (rows[i] - memMean[k]) * scale + shift;
      }
    }
    normaliseRows(rows, size, dim);
  }

  state(): Float32Array | null {
    return this.estimate && this.estimate.slice();
  }

  restore(values: Float32Array): void {
    this.estimate = values.length === 2 * this.dim ? values.slice() : null;
  }
}

/** Per-dimension mean and population variance of n rows, in float64. */
function moments(x: Float32Array, n: number, dim: number): [Float64Array, Float64Array] {
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let j = 0; j < n; j++) for (let k = 0; k < dim; k++) mean[k] += x[j * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= n;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < dim; k++) {
      const d = x[j * dim + k] - mean[k];
      variance[k] += d * d;
    }
  }
  for (let k = 0; k < dim; k++) variance[k] /= n;
  return [mean, variance];
}

export const momentsStrategy: AdaptStrategy<{ kind: 'moments' }> = {
  kind: 'moments',
  describe: 'align the memory\'s per-dimension mean and spread to a smoothed estimate of the batch\'s, then renormalise (AXBN)',
  create: (_config, env) => new MomentsAdapter(env.dim, momentsSmoothing(env)),
};
