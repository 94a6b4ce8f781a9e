import type { PairMask } from '../losses/pair-loss.js';

/** How many of a loss's pair decisions stale memory features change (staleness.csv flip columns). */
export interface DecisionFlips {
  /** valid (query, memory row) pairs compared */
  pairs: number;
  /** pairs active (non-zero gradient) with the stored features */
  activeStale: number;
  /** pairs active with fresh features of the same samples */
  activeFresh: number;
  /** pairs active with one and not the other */
  flips: number;
}

/** A loss on a similarity matrix: dLoss/dS, whose non-zero entries are its active pairs (mining included). */
export type PairGradient = (s: Float32Array, pairs: PairMask) => Float32Array;

/**
 * The mining decisions that the memory's staleness flips: for queries Q (fresh features) against
 * the memory, the loss's active pairs (non-zero dLoss/dS, the trainer's definition of "active",
 * so any mining counts) with the stored rows M_stored against those with fresh embeddings M_fresh
 * of the same samples. A query's pair with its own sample is left out. Plain loops: this runs
 * every --staleness-every iterations, and its cost (nq x rows x dim) is that of one memory term.
 */
export function decisionFlips(
  gradient: PairGradient,
  queries: { features: Float32Array; labels: Int32Array; ids: Int32Array },
  memory: { stored: Float32Array; fresh: Float32Array; labels: Int32Array; ids: Int32Array },
  dim: number,
): DecisionFlips {
  const nq = queries.labels.length;
  const nr = memory.labels.length;
  const kind = new Int8Array(nq * nr);
  let positive = 0;
  let excluded = 0;
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nr; j++) {
      const k = i * nr + j;
      if (queries.ids[i] === memory.ids[j]) {
        excluded++;
      } else if (queries.labels[i] === memory.labels[j]) {
        kind[k] = 1;
        positive++;
      } else {
        kind[k] = -1;
      }
    }
  }
  const mask = (): PairMask => ({ nq, nr, kind: kind.slice(), positive, negative: nq * nr - positive - excluded });
  const stale = gradient(similarities(queries.features, memory.stored, nq, nr, dim), mask());
  const fresh = gradient(similarities(queries.features, memory.fresh, nq, nr, dim), mask());
  let activeStale = 0;
  let activeFresh = 0;
  let flips = 0;
  for (let k = 0; k < kind.length; k++) {
    if (kind[k] === 0) continue;
    const a = stale[k] !== 0;
    const b = fresh[k] !== 0;
    if (a) activeStale++;
    if (b) activeFresh++;
    if (a !== b) flips++;
  }
  return { pairs: nq * nr - excluded, activeStale, activeFresh, flips };
}

/** S = Q · Rᵀ for row-major unit rows, in float32 as the trainer computes it. */
function similarities(q: Float32Array, r: Float32Array, nq: number, nr: number, dim: number): Float32Array {
  const s = new Float32Array(nq * nr);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nr; j++) {
      let acc = 0;
      for (let d = 0; d < dim; d++) acc += q[i * dim + d] * r[j * dim + d];
      s[i * nr + j] = acc;
    }
  }
  return s;
}
