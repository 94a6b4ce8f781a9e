import type { Split } from '../data/types.js';
import type { Embedder } from '../model/embedder.js';
import { embedSamples, allIndices } from '../model/embed.js';
import { evaluateRetrieval } from '../analysis/retrieval.js';
import type { EvalRow } from '../io/tables.js';
import { Rng } from '../random.js';

/** Retrieval metrics of the model on a split (the test classes), as an eval.csv row. */
export async function evaluateModel(model: Embedder, split: Split, iteration: number, opts: { ks: number[]; nmi: boolean; seed: number }): Promise<EvalRow> {
  const t0 = Date.now();
  const emb = await embedSamples(model, split, allIndices(split.size));
  const r = await evaluateRetrieval(emb, split.labels, model.dim, { ks: opts.ks, nmi: opts.nmi, rng: new Rng(opts.seed) });
  return {
    iteration, split: 'test',
    recall_at_1: r.recallAtK[1] ?? NaN, recall_at_2: r.recallAtK[2] ?? NaN, recall_at_4: r.recallAtK[4] ?? NaN, recall_at_8: r.recallAtK[8] ?? NaN,
    map_at_r: r.mapAtR, nmi: r.nmi, ms_eval: Date.now() - t0,
  };
}
