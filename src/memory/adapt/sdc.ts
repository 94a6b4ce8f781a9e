import type { AdaptInput, AdaptStrategy, MemoryAdapter } from './adapter.js';
import { normaliseRows } from './adapter.js';

/**
 * Semantic Drift Compensation (Yu et al., CVPR 2020): each stored row m_j moves by the
 * Gaussian-weighted mean drift of the batch samples that have an older copy in the memory (the
 * re-embedded ones, r: fresh f_r, stored s_r),
 *   m_j += sum_r w_jr (f_r - s_r) / sum_r w_jr,   w_jr = exp(-||m_j - s_r||^2 / (2 sigma^2)),
 * then is renormalised. Yu et al. compensate class prototypes once per task with a fixed sigma;
 * here every step, every row, with sigma from the median heuristic (Gretton et al.): sigma^2 = the
 * median squared distance between the re-embedded samples' stored rows, so the kernel follows the
 * embedding's scale instead of a constant tuned to one network. With no re-embedded sample the
 * memory is left as it is.
 */
export class SdcAdapter implements MemoryAdapter {
  adapt({ rows, size, dim, batch, returned }: AdaptInput): void {
    const r = returned.length;
    if (r === 0 || size === 0) return;
    // Drift vectors and the stored copies they start from, before any row moves.
    const drift = new Float64Array(r * dim);
    const from = new Float64Array(r * dim);
    returned.forEach((x, i) => {
      for (let k = 0; k < dim; k++) {
        from[i * dim + k] = rows[x.slot * dim + k];
        drift[i * dim + k] = batch[x.row * dim + k] - rows[x.slot * dim + k];
      }
    });
    const twoSigma2 = 2 * sdcSigma2(from, r, dim);
    const d2 = new Float64Array(r);
    const shift = new Float64Array(dim);
    for (let j = 0; j < size; j++) {
      const o = j * dim;
      let nearest = Infinity;
      for (let i = 0; i < r; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) {
          const d = rows[o + k] - from[i * dim + k];
          s += d * d;
        }
        d2[i] = s;
        if (s < nearest) nearest = s;
      }
      // Weights relative to the nearest sample: the same normalised weights, without underflow.
      shift.fill(0);
      let total = 0;
      for (let i = 0; i < r; i++) {
        const w = twoSigma2 > 0 ? Math.exp(-(d2[i] - nearest) / twoSigma2) : 1;
        total += w;
        for (let k = 0; k < dim; k++) shift[k] += w * drift[i * dim + k];
      }
      for (let k = 0; k < dim; k++) rows[o + k] += shift[k] / total;
    }
    normaliseRows(rows, size, dim);
  }
}

/** The median heuristic: the median of the squared distances between the r rows of x (0 for fewer than two). */
export function sdcSigma2(x: Float64Array, r: number, dim: number): number {
  const d2: number[] = [];
  for (let a = 0; a < r; a++) {
    for (let b = a + 1; b < r; b++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = x[a * dim + k] - x[b * dim + k];
        s += d * d;
      }
      d2.push(s);
    }
  }
  if (d2.length === 0) return 0;
  d2.sort((p, q) => p - q);
  const m = d2.length >> 1;
  return d2.length % 2 ? d2[m] : (d2[m - 1] + d2[m]) / 2;
}

export const sdc: AdaptStrategy<{ kind: 'sdc' }> = {
  kind: 'sdc',
  describe: 'shift each row by the Gaussian-weighted drift of re-embedded batch samples near it, then renormalise (SDC)',
  create: () => new SdcAdapter(),
};
