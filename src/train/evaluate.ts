import type { Dataset, EvalProtocol, Split } from '../data/types.js';
import type { Embedder } from '../model/embedder.js';
import { embedSamples, allIndices } from '../model/embed.js';
import { evaluateQueryGallery, evaluateRetrieval, gatherRows, type RetrievalResult } from '../analysis/retrieval.js';
import type { EvalRow } from '../io/tables.js';
import { Rng } from '../random.js';

type EvalOptions = { ks: number[]; nmi: boolean; seed: number };

function row(iteration: number, split: string, r: RetrievalResult, ms: number): EvalRow {
  return {
    iteration, split,
    recall_at_1: r.recallAtK[1] ?? NaN, recall_at_2: r.recallAtK[2] ?? NaN, recall_at_4: r.recallAtK[4] ?? NaN, recall_at_8: r.recallAtK[8] ?? NaN,
    map_at_r: r.mapAtR, nmi: r.nmi, ms_eval: ms,
  };
}

/** Retrieval metrics of the model on a split (the test classes), leave-one-out, as an eval.csv row. */
export async function evaluateModel(model: Embedder, split: Split, iteration: number, opts: EvalOptions): Promise<EvalRow> {
  const t0 = Date.now();
  const emb = await embedSamples(model, split, allIndices(split.size));
  const r = await evaluateRetrieval(emb, split.labels, model.dim, { ks: opts.ks, nmi: opts.nmi, rng: new Rng(opts.seed) });
  return row(iteration, 'test', r, Date.now() - t0);
}

/** One line for run.json/reports: how the dataset's test split is scored. */
export function describeProtocol(p: EvalProtocol | undefined): string {
  if (!p || p.kind === 'leave-one-out') return 'leave-one-out on the test split';
  if (p.kind === 'query-gallery') return `${p.queryIds.length} queries against a ${p.galleryIds.length}-image gallery (not leave-one-out)`;
  return `${p.sets.length} test sets scored separately, leave-one-out within each: ${p.sets.map((s) => `${s.name} (${s.ids.length} images)`).join(', ')}`;
}

/**
 * The dataset's own evaluation protocol, as eval.csv rows: one 'test' row for leave-one-out and
 * query-gallery datasets; one row per test set for 'sets' (VehicleID: 'test' = 800 vehicles,
 * 'test-1600', 'test-2400'). The test split is embedded once; ms_eval of each row includes it.
 */
export async function evaluateDataset(model: Embedder, dataset: Pick<Dataset, 'test' | 'evaluation'>, iteration: number, opts: EvalOptions): Promise<EvalRow[]> {
  const p = dataset.evaluation;
  if (!p || p.kind === 'leave-one-out') return [await evaluateModel(model, dataset.test, iteration, opts)];
  const t0 = Date.now();
  const split = dataset.test;
  const emb = await embedSamples(model, split, allIndices(split.size));
  const gather = (ids: Int32Array) => ({ x: gatherRows(emb, model.dim, ids), labels: Int32Array.from(ids, (i) => split.labels[i]) });
  const ropts = { ks: opts.ks, nmi: opts.nmi, rng: new Rng(opts.seed) };
  if (p.kind === 'query-gallery') {
    const q = gather(p.queryIds);
    const g = gather(p.galleryIds);
    return [row(iteration, 'test', await evaluateQueryGallery(q.x, q.labels, g.x, g.labels, model.dim, ropts), Date.now() - t0)];
  }
  const rows: EvalRow[] = [];
  for (const s of p.sets) {
    const d = gather(s.ids);
    rows.push(row(iteration, s.name, await evaluateRetrieval(d.x, d.labels, model.dim, { ...ropts, rng: new Rng(opts.seed) }), Date.now() - t0));
  }
  return rows;
}
