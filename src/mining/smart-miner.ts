import type { Rng } from '../random.js';
import type { NeighbourIndex } from './neighbour-index.js';

/** What the index stores: every training sample's embedding at the last refresh, and the labels. */
export interface IndexedSplit {
  index: NeighbourIndex;
  /** [n * dim], row = sample id */
  embeddings: Float32Array;
  dim: number;
  labels: Int32Array;
}

/** One anchor's mined samples. */
export interface MinedTuple {
  anchor: number;
  positive: number;
  negatives: number[];
  /** the positive was not in the anchor's neighbourhood: a random one of its class */
  positiveFallback: boolean;
  /** negatives drawn outside the neighbourhood because too few in it qualified */
  negativeFallbacks: number;
}

export interface MiningParams {
  /** negatives per anchor */
  negatives: number;
  /** neighbourhood size k searched around each anchor (the controller's knob: smaller = harder) */
  neighbours: number;
}

/** Similarity of two indexed samples by their stored embeddings. */
export function storedSimilarity(split: IndexedSplit, a: number, b: number): number {
  const { embeddings: e, dim } = split;
  let s = 0;
  for (let d = 0; d < dim; d++) s += e[a * dim + d] * e[b * dim + d];
  return s;
}

/**
 * Harwood et al.'s rule for one anchor, on the index's (stored) similarities: the nearest
 * positive p in the anchor's k-neighbourhood, and negatives from that neighbourhood that are
 * farther from the anchor than p (s(a, n) < s(a, p): harder than random, but not the hardest,
 * which are closer than the nearest positive and tend to be label noise or collapse the
 * embedding). Negatives are drawn at random among those that qualify. Samples in `taken` (already
 * in the batch) are skipped. Fallbacks keep the batch full: a random positive of the class when
 * none is in the neighbourhood; random negatives, still farther than p when a few tries find one,
 * when the neighbourhood has too few. Null when the anchor's class has no other free sample.
 */
export function mineAnchor(anchor: number, split: IndexedSplit, params: MiningParams, rng: Rng, taken: Set<number>, byClass: Map<number, Int32Array>): MinedTuple | null {
  const { labels } = split;
  const y = labels[anchor];
  const nb = split.index.search(split.embeddings.subarray(anchor * split.dim, (anchor + 1) * split.dim), params.neighbours + 1);
  let p = -1;
  let at = -1;
  for (let r = 0; r < nb.ids.length; r++) {
    const id = nb.ids[r];
    if (id !== anchor && labels[id] === y && !taken.has(id)) {
      p = id;
      at = r;
      break;
    }
  }
  let positiveFallback = false;
  if (p < 0) {
    const same = Array.from(byClass.get(y) ?? []).filter((id) => id !== anchor && !taken.has(id));
    if (same.length === 0) return null;
    p = same[rng.int(same.length)];
    positiveFallback = true;
  }
  const sp = storedSimilarity(split, anchor, p);
  const candidates: number[] = [];
  for (let r = positiveFallback ? 0 : at + 1; r < nb.ids.length; r++) {
    const id = nb.ids[r];
    if (labels[id] !== y && !taken.has(id) && storedSimilarity(split, anchor, id) < sp) candidates.push(id);
  }
  rng.shuffle(candidates);
  const negatives = candidates.slice(0, params.negatives);
  let negativeFallbacks = 0;
  const chosen = new Set([anchor, p, ...negatives]);
  for (let guard = 0; negatives.length < params.negatives && guard < 64 * params.negatives; guard++) {
    const id = rng.int(labels.length);
    if (labels[id] === y || taken.has(id) || chosen.has(id)) continue;
    // Prefer ones farther than the positive; after a few tries, any negative keeps the batch full.
    if (storedSimilarity(split, anchor, id) >= sp && guard < 32 * params.negatives) continue;
    negatives.push(id);
    chosen.add(id);
    negativeFallbacks++;
  }
  return { anchor, positive: p, negatives, positiveFallback, negativeFallbacks };
}

/** Per-batch counts, summed between refreshes (index.csv). */
export interface MiningCounts {
  anchors: number;
  positiveFallbacks: number;
  negativeFallbacks: number;
}

/**
 * A batch of `size` distinct samples: anchors from `nextAnchor` (the ordinary draw), each followed
 * by its mined positive and negatives, until the batch is full (the last tuple may be cut short).
 * Anchors already in the batch, or whose class has no other free sample, are skipped.
 */
export function mineBatch(size: number, nextAnchor: () => number, split: IndexedSplit, params: MiningParams, rng: Rng, byClass: Map<number, Int32Array>, counts: MiningCounts): Int32Array {
  const out: number[] = [];
  const taken = new Set<number>();
  const add = (id: number) => {
    if (out.length < size && !taken.has(id)) {
      out.push(id);
      taken.add(id);
    }
  };
  for (let tries = 0; out.length < size && tries < 16 * size; tries++) {
    const a = nextAnchor();
    if (taken.has(a)) continue;
    taken.add(a); // the anchor is not its own positive or negative
    const m = mineAnchor(a, split, params, rng, taken, byClass);
    taken.delete(a);
    if (!m) continue;
    add(a);
    add(m.positive);
    for (const n of m.negatives) add(n);
    counts.anchors++;
    if (m.positiveFallback) counts.positiveFallbacks++;
    counts.negativeFallbacks += m.negativeFallbacks;
  }
  // A split too small for distinct tuples (tests): fill with the next anchors.
  for (let tries = 0; out.length < size && tries < 16 * size; tries++) add(nextAnchor());
  return Int32Array.from(out);
}
