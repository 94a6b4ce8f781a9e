import { tf } from '../backend/tf.js';
import { UserError } from '../errors.js';
import { analysisMessages } from '../messages/analysis.js';
import { Rng } from '../random.js';
import { kMeans, normalizedMutualInformation } from './kmeans.js';

export interface RetrievalOptions {
  /** Recall@K cut-offs; default [1, 2, 4, 8]. */
  ks?: number[];
  /** Compute NMI (k-means with k = number of classes); default true. */
  nmi?: boolean;
  /** Compute MAP@R; default true. Without it the top-k pass only needs max(ks) neighbours. */
  mapAtR?: boolean;
  /** Seeds k-means++; default new Rng(0), so results are reproducible. */
  rng?: Rng;
  /** Lloyd iterations of the NMI k-means; default 10 (stops earlier on convergence). */
  kMeansIterations?: number;
  /** Upper bound on similarity-matrix floats held at once; default 8e6 (32 MB). */
  chunkElements?: number;
}

export interface RetrievalResult {
  /** Fraction of counted queries with a same-class item among their K nearest neighbours. */
  recallAtK: Record<number, number>;
  /** Mean over counted queries of AP over the first R neighbours (Musgrave et al. 2020). */
  mapAtR: number;
  /** NMI of k-means clusters against the labels; NaN when not requested. */
  nmi: number;
  /** Queries counted in Recall@K and MAP@R. */
  queries: number;
  /** Queries left out because no other sample shares their class. */
  excludedQueries: number;
}

export const DEFAULT_RECALL_KS: readonly number[] = [1, 2, 4, 8];
const DEFAULT_CHUNK_ELEMENTS = 8_000_000;

/**
 * Retrieval metrics of L2-normalised embeddings (row-major Float32Array, n x dim) against their
 * labels; the query itself is never its own neighbour.
 *
 * - Similarity is the dot product, which ranks like Euclidean distance for unit vectors.
 * - Recall@K: a query counts as a hit when any of its K nearest neighbours shares its label.
 * - MAP@R: R = number of other samples of the query's class; AP@R = (1/R) * sum over the first R
 *   neighbours of precision@i at each relevant position i.
 * - A query whose class has no other sample cannot be answered and is excluded from Recall@K and
 *   MAP@R (the standard choice); `excludedQueries` counts them. With no countable query at all,
 *   Recall@K and MAP@R are NaN. Every sample still takes part in NMI and as a neighbour.
 * - Ties: neighbours are ordered by similarity, then by lower sample index (so a tie at the K-th
 *   place goes to the lower index, as in a stable sort). tf.topk on cpu and wasm applies this rule
 *   over the whole row; on other backends, which of several tied items survive the top-k cut is
 *   the backend's choice. With float embeddings exact ties only arise from duplicate vectors.
 * - K larger than n - 1 counts all other samples.
 *
 * Fast path: the similarity matrix is built chunk by chunk with flag-free tf.matMul against a
 * transposed copy, and tf.topk picks max(K, R) + 1 candidates per row; JS only walks those
 * candidates. Memory: chunkElements floats for similarities, plus the embeddings twice.
 */
export async function evaluateRetrieval(
  embeddings: Float32Array, labels: Int32Array, dim: number, opts: RetrievalOptions = {},
): Promise<RetrievalResult> {
  if (!Number.isInteger(dim) || dim < 1 || embeddings.length % dim !== 0) {
    throw new UserError(analysisMessages.badEmbeddingShape(embeddings.length, dim));
  }
  const n = embeddings.length / dim;
  if (labels.length !== n) throw new UserError(analysisMessages.labelLengthMismatch(n, labels.length));
  const ks = opts.ks ?? [...DEFAULT_RECALL_KS];
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new UserError(analysisMessages.badRecallK(k));
  const wantMap = opts.mapAtR ?? true;
  const wantNmi = opts.nmi ?? true;

  const classSize = new Map<number, number>();
  for (let i = 0; i < n; i++) classSize.set(labels[i], (classSize.get(labels[i]) ?? 0) + 1);
  let maxR = 0;
  for (const c of classSize.values()) maxR = Math.max(maxR, c - 1);

  const ranking = await rankNeighbours(embeddings, labels, n, dim, ks, wantMap ? maxR : 0, classSize,
    opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS);

  let nmi = NaN;
  if (wantNmi && n > 0) {
    const { assignments } = await kMeans(embeddings, dim, {
      k: classSize.size, rng: opts.rng ?? new Rng(0), maxIterations: opts.kMeansIterations,
    });
    nmi = normalizedMutualInformation(assignments, labels);
  }
  return { ...ranking, mapAtR: wantMap ? ranking.mapAtR : NaN, nmi };
}

async function rankNeighbours(
  embeddings: Float32Array, labels: Int32Array, n: number, dim: number, ks: number[], maxR: number,
  classSize: Map<number, number>, chunkElements: number,
): Promise<Omit<RetrievalResult, 'nmi'>> {
  const maxK = ks.length > 0 ? Math.max(...ks) : 0;
  const need = Math.min(n - 1, Math.max(maxK, maxR)); // neighbours per query, self excluded
  const kTop = Math.min(n, need + 1); // +1: the query is normally its own top hit
  const hits = new Float64Array(ks.length);
  let apSum = 0;
  let queries = 0;
  let excluded = 0;

  if (n > 0 && need > 0) {
    const rows = Math.max(1, Math.floor(chunkElements / n));
    const x = tf.tensor2d(embeddings, [n, dim]);
    const xt = tf.transpose(x);
    const order = new Int32Array(kTop);
    const nbr = new Int32Array(need);
    try {
      for (let start = 0; start < n; start += rows) {
        const size = Math.min(rows, n - start);
        const [valT, idxT] = tf.tidy(() => {
          const sims = tf.matMul(tf.slice(x, [start, 0], [size, dim]), xt);
          // cpu and wasm return value-descending, lower-index-first order; JS checks and fixes it.
          const t = tf.topk(sims, kTop, true);
          return [t.values, t.indices] as const;
        });
        const [vals, idx] = await readTopk(valT, idxT);
        for (let r = 0; r < size; r++) {
          const q = start + r;
          const label = labels[q];
          const rel = classSize.get(label)! - 1;
          if (rel === 0) {
            excluded++;
            continue;
          }
          queries++;
          const base = r * kTop;
          sortCandidates(vals, idx, base, kTop, order);
          let m = 0;
          for (let j = 0; j < kTop && m < need; j++) {
            const c = idx[base + order[j]];
            if (c !== q) nbr[m++] = c;
          }
          let first = -1;
          for (let j = 0; j < m; j++) {
            if (labels[nbr[j]] === label) {
              first = j;
              break;
            }
          }
          if (first >= 0) for (let t = 0; t < ks.length; t++) if (first < ks[t]) hits[t]++;
          if (maxR > 0) {
            let found = 0;
            let sum = 0;
            for (let j = 0; j < rel && j < m; j++) {
              if (labels[nbr[j]] === label) {
                found++;
                sum += found / (j + 1);
              }
            }
            apSum += sum / rel;
          }
        }
      }
    } finally {
      tf.dispose([x, xt]);
    }
  } else {
    for (let i = 0; i < n; i++) if (classSize.get(labels[i])! > 1) queries++; else excluded++;
  }
  const recallAtK: Record<number, number> = {};
  ks.forEach((k, t) => (recallAtK[k] = queries > 0 ? hits[t] / queries : NaN));
  return { recallAtK, mapAtR: queries > 0 ? apSum / queries : NaN, queries, excludedQueries: excluded };
}

/** Fill `order` with 0..k-1 sorted by value descending, then by sample index ascending. */
function sortCandidates(vals: ArrayLike<number>, idx: ArrayLike<number>, base: number, k: number, order: Int32Array): void {
  for (let j = 0; j < k; j++) order[j] = j;
  const before = (a: number, b: number) => {
    const va = vals[base + a];
    const vb = vals[base + b];
    return va !== vb ? vb - va : idx[base + a] - idx[base + b];
  };
  // The backend's sorted top-k is normally in this order already: a linear check, then done.
  let sorted = true;
  for (let j = 1; j < k && sorted; j++) if (before(j - 1, j) > 0) sorted = false;
  if (!sorted) order.sort(before);
}

/**
 * Query-against-gallery retrieval (In-Shop): each query ranks the gallery only, so a gallery image
 * of the query's class (item) counts as a hit, and the query is never compared with other queries.
 * Same definitions, tie rule and chunking as evaluateRetrieval, except:
 * - R (MAP@R) = number of gallery items with the query's label; no self-exclusion.
 * - A query whose label has no gallery item is excluded (counted in `excludedQueries`).
 * - NMI, when requested, clusters the gallery embeddings against the gallery labels.
 */
export async function evaluateQueryGallery(
  queries: Float32Array, queryLabels: Int32Array, gallery: Float32Array, galleryLabels: Int32Array, dim: number,
  opts: RetrievalOptions = {},
): Promise<RetrievalResult> {
  if (!Number.isInteger(dim) || dim < 1 || queries.length % dim !== 0) throw new UserError(analysisMessages.badEmbeddingShape(queries.length, dim));
  if (gallery.length % dim !== 0) throw new UserError(analysisMessages.badEmbeddingShape(gallery.length, dim));
  const nq = queries.length / dim;
  const ng = gallery.length / dim;
  if (queryLabels.length !== nq) throw new UserError(analysisMessages.labelLengthMismatch(nq, queryLabels.length));
  if (galleryLabels.length !== ng) throw new UserError(analysisMessages.labelLengthMismatch(ng, galleryLabels.length));
  const ks = opts.ks ?? [...DEFAULT_RECALL_KS];
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new UserError(analysisMessages.badRecallK(k));
  const wantMap = opts.mapAtR ?? true;
  const inGallery = new Map<number, number>();
  for (let i = 0; i < ng; i++) inGallery.set(galleryLabels[i], (inGallery.get(galleryLabels[i]) ?? 0) + 1);
  let maxR = 0;
  if (wantMap) for (let i = 0; i < nq; i++) maxR = Math.max(maxR, inGallery.get(queryLabels[i]) ?? 0);
  const maxK = ks.length > 0 ? Math.max(...ks) : 0;
  const need = Math.min(ng, Math.max(maxK, maxR));
  const hits = new Float64Array(ks.length);
  let apSum = 0;
  let counted = 0;
  let excluded = 0;
  if (nq > 0 && need > 0) {
    const rows = Math.max(1, Math.floor((opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS) / ng));
    const q = tf.tensor2d(queries, [nq, dim]);
    const gt = tf.tidy(() => tf.transpose(tf.tensor2d(gallery, [ng, dim])));
    const order = new Int32Array(need);
    try {
      for (let start = 0; start < nq; start += rows) {
        const size = Math.min(rows, nq - start);
        const t = tf.tidy(() => tf.topk(tf.matMul(tf.slice(q, [start, 0], [size, dim]), gt), need, true));
        const [vals, idx] = await readTopk(t.values, t.indices);
        for (let r = 0; r < size; r++) {
          const label = queryLabels[start + r];
          const rel = inGallery.get(label) ?? 0;
          if (rel === 0) {
            excluded++;
            continue;
          }
          counted++;
          const base = r * need;
          sortCandidates(vals, idx, base, need, order);
          let first = -1;
          for (let j = 0; j < need; j++) {
            if (galleryLabels[idx[base + order[j]]] === label) {
              first = j;
              break;
            }
          }
          if (first >= 0) for (let k = 0; k < ks.length; k++) if (first < ks[k]) hits[k]++;
          if (wantMap) {
            let found = 0;
            let sum = 0;
            for (let j = 0; j < rel && j < need; j++) {
              if (galleryLabels[idx[base + order[j]]] === label) {
                found++;
                sum += found / (j + 1);
              }
            }
            apSum += sum / rel;
          }
        }
      }
    } finally {
      tf.dispose([q, gt]);
    }
  } else {
    for (let i = 0; i < nq; i++) if ((inGallery.get(queryLabels[i]) ?? 0) > 0) counted++; else excluded++;
  }
  const recallAtK: Record<number, number> = {};
  ks.forEach((k, t) => (recallAtK[k] = counted > 0 ? hits[t] / counted : NaN));
  let nmi = NaN;
  if ((opts.nmi ?? true) && ng > 0) {
    const { assignments } = await kMeans(gallery, dim, { k: inGallery.size, rng: opts.rng ?? new Rng(0), maxIterations: opts.kMeansIterations });
    nmi = normalizedMutualInformation(assignments, galleryLabels);
  }
  return { recallAtK, mapAtR: wantMap && counted > 0 ? apSum / counted : NaN, nmi, queries: counted, excludedQueries: excluded };
}

/** A top-k result read back (asynchronously: webgpu has no other reads) and disposed. */
async function readTopk(values: tf.Tensor, indices: tf.Tensor): Promise<[Float32Array, Int32Array]> {
  try {
    return await Promise.all([values.data() as Promise<Float32Array>, indices.data() as Promise<Int32Array>]);
  } finally {
    tf.dispose([values, indices]);
  }
}

/** Rows `ids` of an n x dim matrix, gathered into a new one. */
export function gatherRows(x: Float32Array, dim: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) out.set(x.subarray(ids[i] * dim, (ids[i] + 1) * dim), i * dim);
  return out;
}
