import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import { miningMessages as M } from '../messages/mining.js';

/**
 * A nearest-neighbour index over L2-normalised embeddings, by inner product (= cosine similarity).
 * Two kinds: 'exact' (brute force: small sets, and the reference the approximate one's recall is
 * measured against) and 'hnsw' (hnswlib-node's HNSW graph, the standard successor of the FANNG
 * graph Harwood et al. used).
 */
export type IndexKind = 'exact' | 'hnsw';
export const INDEX_KINDS = { hnsw: 'approximate: an HNSW graph (hnswlib-node)', exact: 'brute force over every embedding' } as const satisfies Record<IndexKind, string>;

/** Neighbours of one query, most similar first: sample ids and their similarities. */
export interface Neighbours {
  ids: Int32Array;
  similarities: Float32Array;
}

export interface NeighbourIndex {
  readonly kind: IndexKind;
  readonly size: number;
  /** The k most similar indexed samples to `query` (a [dim] vector), most similar first. */
  search(query: Float32Array, k: number): Neighbours;
}

/** HNSW parameters: hnswlib's usual M and efConstruction; ef at query time is max(k, efSearch). */
const HNSW = { m: 16, efConstruction: 200, efSearch: 64, seed: 100 } as const;

/**
 * The part of hnswlib-node used here, declared locally: the package is optional, so neither the
 * typecheck nor loading this module may need it installed.
 */
interface HnswGraph {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(query: number[], k: number): { distances: number[]; neighbors: number[] };
}
interface HnswModule {
  HierarchicalNSW: new (space: 'ip' | 'l2' | 'cosine', dim: number) => HnswGraph;
}
let hnswModule: HnswModule | null | undefined;

/** hnswlib-node, or null when the optional dependency is not installed (or did not build). */
export function loadHnsw(): HnswModule | null {
  if (hnswModule === undefined) {
    try {
      hnswModule = createRequire(import.meta.url)('hnswlib-node') as HnswModule;
    } catch {
      hnswModule = null;
    }
  }
  return hnswModule;
}

/** Refuses 'hnsw' where hnswlib-node is missing, with the fix; used before any file is written. */
export function checkIndexAvailable(kind: IndexKind): void {
  if (kind === 'hnsw' && !loadHnsw()) throw new UserError(M.hnswMissing);
}

/** Builds an index over `embeddings` (row i = sample id i, [n * dim]). */
export function buildIndex(kind: IndexKind, embeddings: Float32Array, dim: number): NeighbourIndex {
  return kind === 'exact' ? new ExactIndex(embeddings, dim) : new HnswIndex(embeddings, dim);
}

export class ExactIndex implements NeighbourIndex {
  readonly kind = 'exact' as const;
  readonly size: number;
  constructor(private readonly embeddings: Float32Array, private readonly dim: number) {
    this.size = embeddings.length / dim;
  }

  search(query: Float32Array, k: number): Neighbours {
    const { dim, embeddings, size } = this;
    const sims = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let d = 0, o = i * dim; d < dim; d++) s += query[d] * embeddings[o + d];
      sims[i] = s;
    }
    const kk = Math.min(k, size);
    // Ties broken by id, so that exact search is deterministic.
    const order = Int32Array.from({ length: size }, (_, i) => i).sort((a, b) => sims[b] - sims[a] || a - b).subarray(0, kk);
    return { ids: Int32Array.from(order), similarities: Float32Array.from(order, (i) => sims[i]) };
  }
}

class HnswIndex implements NeighbourIndex {
  readonly kind = 'hnsw' as const;
  readonly size: number;
  private readonly graph: HnswGraph;
  constructor(embeddings: Float32Array, dim: number) {
    const lib = loadHnsw();
    if (!lib) throw new UserError(M.hnswMissing);
    this.size = embeddings.length / dim;
    this.graph = new lib.HierarchicalNSW('ip', dim);
    // A fixed seed and one insertion order: the same embeddings give the same graph (resume replays).
    this.graph.initIndex(Math.max(1, this.size), HNSW.m, HNSW.efConstruction, HNSW.seed);
    for (let i = 0; i < this.size; i++) this.graph.addPoint(Array.from(embeddings.subarray(i * dim, (i + 1) * dim)), i);
  }

  search(query: Float32Array, k: number): Neighbours {
    const kk = Math.min(k, this.size);
    this.graph.setEf(Math.max(kk, HNSW.efSearch));
    const r = this.graph.searchKnn(Array.from(query), kk);
    // hnswlib's 'ip' distance is 1 - inner product, nearest first.
    return { ids: Int32Array.from(r.neighbors), similarities: Float32Array.from(r.distances, (d) => 1 - d) };
  }
}

/**
 * Recall@k of `index` against exact search, averaged over the query samples: the fraction of each
 * query's true k nearest neighbours (itself included, as both searches include it) that the index returns.
 */
export function indexRecall(index: NeighbourIndex, embeddings: Float32Array, dim: number, queries: Int32Array, k: number): number {
  if (queries.length === 0) return NaN;
  const exact = new ExactIndex(embeddings, dim);
  let sum = 0;
  for (const q of queries) {
    const v = embeddings.subarray(q * dim, (q + 1) * dim);
    const truth = new Set(exact.search(v, k).ids);
    let hit = 0;
    for (const id of index.search(v, k).ids) if (truth.has(id)) hit++;
    sum += hit / truth.size;
  }
  return sum / queries.length;
}
