import type { Split } from '../data/types.js';
import type { Sampler } from '../data/samplers.js';
import type { Embedder } from '../model/embedder.js';
import { allIndices, embedSamples } from '../model/embed.js';
import { pairDrift } from '../analysis/drift-stats.js';
import type { IndexRefreshRow } from '../io/formats/index-table.js';
import type { SmartMiningSummary } from '../io/formats/run-record.js';
import { Rng } from '../random.js';
import { buildIndex, indexRecall } from './neighbour-index.js';
import type { SmartMiningConfig } from './smart-config.js';
import { CONTROLLER_DEFAULTS, type Adjustment } from './smart-controller.js';
import { SmartSampler, type SmartSamplerState } from './smart-sampler.js';

/** Recall of the index against exact search at each refresh: recall@RECALL_K over RECALL_QUERIES samples. */
const RECALL_K = 10;
const RECALL_QUERIES = 200;
/** The largest neighbourhood the controller may grow to. */
const MAX_NEIGHBOURS = 512;

/** The refresh iterations: every `refresh` steps, not at 0 (a model that has not trained yet) nor at the end. */
export const refreshDue = (cfg: SmartMiningConfig, t: number, iterations: number) => t > 0 && t < iterations && t % cfg.refresh === 0;

/**
 * Smart Mining in a training run (Harwood et al. 2017): owns the sampler that mines batches from
 * the index, and refreshes the index: embed the whole training split with the current model (the
 * same batched inference as every other measurement), measure the old index's staleness against
 * these fresh features (pairDrift, the memory's staleness statistic), build the new index, and
 * measure its recall and query time against exact search. The index's embeddings go into the
 * checkpoint, so a resumed run rebuilds the same index and draws the same batches.
 */
export class SmartMining {
  readonly sampler: SmartSampler;
  private embeddings: Float32Array | null = null;
  private builtAt: number | null = null;

  constructor(
    readonly config: SmartMiningConfig,
    private readonly split: Split,
    private readonly dim: number,
    private readonly seed: number,
    base: Sampler,
    source: { rng: Rng } | { state: SmartSamplerState },
  ) {
    const settings = { ...CONTROLLER_DEFAULTS, min: config.negatives + 2, max: Math.max(config.negatives + 2, Math.min(MAX_NEIGHBOURS, split.size - 1)) };
    this.sampler = new SmartSampler(base, split.labels, config.negatives, settings, config.controller,
      'rng' in source ? { rng: source.rng, neighbours: config.neighbours } : source);
  }

  /** Embed the split, build a new index from it and mine from it; returns the row for index.csv. */
  async refresh(t: number, model: Embedder): Promise<IndexRefreshRow> {
    const t0 = performance.now();
    const fresh = await embedSamples(model, this.split, allIndices(this.split.size));
    const t1 = performance.now();
    const stale = this.embeddings ? pairDrift(this.embeddings, fresh, this.dim) : null;
    const age = this.builtAt === null ? NaN : t - this.builtAt;
    const { buildMs, recall, queryMs, counts } = this.install(fresh, t);
    const row: IndexRefreshRow = {
      iteration: t, entries: this.split.size, index: this.config.index, neighbours: this.sampler.controller.neighbours,
      ms_embed: t1 - t0, ms_build: buildMs, ms_query: queryMs, recall_k: RECALL_K, recall, age,
      drift_mean: stale?.mean ?? NaN, drift_median: stale?.median ?? NaN, drift_p90: stale?.p90 ?? NaN, drift_max: stale?.max ?? NaN,
      anchors: counts.anchors, positive_fallbacks: counts.positiveFallbacks, negative_fallbacks: counts.negativeFallbacks,
    };
    const totals = this.sampler.totals;
    totals.refreshes++;
    totals.refreshMs += row.ms_embed + row.ms_build;
    if (Number.isFinite(recall)) totals.recallSum += recall;
    return row;
  }

  /** After a resume: the index as it was at the checkpoint (its embeddings were saved there). */
  restoreIndex(embeddings: Float32Array, builtAt: number): void {
    const counts = { ...this.sampler.counts }; // mined from this index before the checkpoint
    this.install(embeddings, builtAt);
    this.sampler.counts = counts;
  }

  private install(embeddings: Float32Array, t: number) {
    const b0 = performance.now();
    const index = buildIndex(this.config.index, embeddings, this.dim);
    const buildMs = performance.now() - b0;
    // The recall sample depends on the seed and the iteration only: the same on a resumed run.
    const rng = new Rng(this.seed * 7919 + t);
    const queries = Int32Array.from({ length: Math.min(RECALL_QUERIES, this.split.size) }, () => rng.int(this.split.size));
    const recall = indexRecall(index, embeddings, this.dim, queries, RECALL_K);
    // indexRecall runs one index search and one exact search per query; time the index alone.
    const q1 = performance.now();
    for (const q of queries) index.search(embeddings.subarray(q * this.dim, (q + 1) * this.dim), RECALL_K);
    const queryMs = queries.length > 0 ? (performance.now() - q1) / queries.length : NaN;
    this.embeddings = embeddings;
    this.builtAt = t;
    const counts = this.sampler.useIndex({ index, embeddings, dim: this.dim, labels: this.split.labels });
    return { buildMs, recall, queryMs, counts };
  }

  /** The step's pair counts, for the controller; an adjustment is returned (and kept for run.json). */
  observeStep(t: number, stats: { positive: number; negative: number; active: number }): Adjustment | null {
    const valid = stats.positive + stats.negative;
    return this.sampler.observe(t, valid > 0 ? stats.active / valid : NaN);
  }

  /** What the checkpoint keeps besides the sampler's state: the index's embeddings and when they were computed. */
  indexState(): { embeddings: Float32Array; builtAt: number } | null {
    return this.embeddings && this.builtAt !== null ? { embeddings: this.embeddings, builtAt: this.builtAt } : null;
  }

  /** run.json's `smartMining`: the configuration, the refreshes' totals and every adjustment with its reason. */
  summary(): SmartMiningSummary {
    const { refreshes, refreshMs, recallSum } = this.sampler.totals;
    return {
      refresh: this.config.refresh,
      index: this.config.index,
      negatives: this.config.negatives,
      controller: this.config.controller,
      startNeighbours: this.config.neighbours,
      finalNeighbours: this.sampler.controller.neighbours,
      refreshes,
      refreshSeconds: refreshMs / 1000,
      meanRecall: refreshes > 0 ? recallSum / refreshes : NaN,
      adjustments: this.sampler.controller.history.map(({ iteration, kind, from, to, reason }) => ({ iteration, kind, from, to, reason })),
    };
  }
}
