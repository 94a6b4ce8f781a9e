import type { TrainConfig } from '../config/train-config.js';
import type { Dataset } from '../data/types.js';
import { createSampler, restoreSampler, type Sampler } from '../data/samplers.js';
import type { Embedder } from '../model/embedder.js';
import { indexTableAppender } from '../io/formats/index-table.js';
import type { CsvAppender } from '../io/csv.js';
import { refreshDue, SmartMining } from '../mining/smart-mining.js';
import type { SmartSamplerState } from '../mining/smart-sampler.js';
import { miningMessages } from '../messages/mining.js';
import type { Rng } from '../random.js';
import type { RestoreFrom, SavedPart, TrainingPart } from './parts.js';

/** A batch's sample ids and the sampler's epoch once they were drawn. */
interface Batch { ids: number[]; epoch: number }

const INDEX_EMBEDDINGS = 'smart/index-embeddings';

/**
 * Where the batches come from: the configured sampler, or smart mining's sampler that wraps it
 * (built from the index, refreshed at the boundary), and the next batch already drawn so an image
 * dataset decodes it during the step. A training part: the sampler's state, the pending batch and
 * the index's embeddings go into the checkpoint ('smart/index-embeddings').
 */
export class Batches implements TrainingPart {
  private sampler: Sampler;
  private smart: SmartMining | null = null;
  private pending: Batch | null = null;
  private indexTable: CsvAppender | null = null;

  constructor(private readonly config: TrainConfig, private readonly dataset: Dataset, private readonly dim: number, samplerRng: Rng, smartRng: Rng) {
    this.sampler = createSampler(config.sampler, dataset.train.labels, samplerRng);
    if (config.smartMining) {
      this.smart = new SmartMining(config.smartMining, dataset.train, dim, config.seed, this.sampler, { rng: smartRng });
      this.sampler = this.smart.sampler;
    }
  }

  /** The batch of step t, its pixels (augmented where the dataset does), and the next batch set decoding. */
  async next(t: number): Promise<{ ids: Int32Array; epoch: number; pixels: Float32Array }> {
    const batch = this.pending ?? this.draw();
    this.pending = null;
    const ids = Int32Array.from(batch.ids);
    const train = this.dataset.train;
    const pixels = train.loadAugmented ? await train.loadAugmented(ids, t) : await train.loadImages(ids);
    if (train.prefetch && t < this.config.iterations) {
      this.pending = this.draw();
      train.prefetch(this.pending.ids);
    }
    return { ids, epoch: batch.epoch, pixels };
  }

  /** Smart mining after step t: the controller's adjustment and a due index refresh; returns their events. */
  async afterStep(t: number, stats: { positive: number; negative: number; active: number }, model: Embedder, runDir: string, log: (line: string) => void): Promise<string[]> {
    const smart = this.smart;
    if (!smart) return [];
    const events: string[] = [];
    const adjustment = smart.observeStep(t, stats);
    if (adjustment) {
      events.push(adjustment.kind);
      log(`  ${adjustment.reason}`);
    }
    if (refreshDue(smart.config, t, this.config.iterations)) {
      const refresh = await smart.refresh(t, model);
      this.indexTable ??= indexTableAppender(runDir);
      await this.indexTable.append([refresh]);
      events.push('index-refresh');
      log(miningMessages.refreshed(t, refresh.entries, refresh.recall, refresh.recall_k, refresh.ms_embed + refresh.ms_build));
    }
    return events;
  }

  /** Smart mining's summary for run.json, or undefined without it. */
  summary() {
    return this.smart?.summary();
  }

  save(): SavedPart {
    const index = this.smart?.indexState() ?? null;
    return {
      state: { sampler: this.sampler.state(), pending: this.pending, ...(this.smart ? { smartIndexBuiltAt: index?.builtAt ?? null } : {}) },
      floats: index ? [{ name: INDEX_EMBEDDINGS, shape: [index.embeddings.length / this.dim, this.dim], values: index.embeddings }] : [],
    };
  }

  restore({ state, floats }: RestoreFrom): void {
    const labels = this.dataset.train.labels;
    this.pending = (state.pending as Batch | null | undefined) ?? null;
    if (!this.smart) {
      this.sampler = restoreSampler(state.sampler as never, labels);
      return;
    }
    // The index is rebuilt from the embeddings it held at the checkpoint: the same graph, so the same batches.
    const s = state.sampler as SmartSamplerState;
    this.smart = new SmartMining(this.config.smartMining!, this.dataset.train, this.dim, this.config.seed, restoreSampler(s?.base, labels), { state: s });
    const saved = floats.get(INDEX_EMBEDDINGS);
    if (saved && typeof state.smartIndexBuiltAt === 'number') this.smart.restoreIndex(Float32Array.from(saved.values), state.smartIndexBuiltAt);
    this.sampler = this.smart.sampler;
  }

  private draw(): Batch {
    return { ids: Array.from(this.sampler.next()), epoch: this.sampler.epoch };
  }
}
