/** User-facing texts of src/mining (smart mining): every error and log line defined once. */
export const miningMessages = {
  hnswMissing:
    '--index hnsw needs the optional package hnswlib-node, which is not installed or did not build here: run `npm install hnswlib-node` (needs g++, make and python3), or use --index exact.',
  needsSmartMining: (flag: string) =>
    `${flag} only applies with --batch-mining smart: add --batch-mining smart, or drop ${flag}.`,
  miningSmartIsBatchMining:
    '--mining chooses triplets inside a batch (all, semi-hard, hard); Smart Mining builds the batches: use --batch-mining smart (with --loss triplet-global for the paper\'s loss).',
  tooFewNegativesRoom: (negatives: number, batch: number) =>
    `--smart-negatives ${negatives} leaves no room in a batch of ${batch} for an anchor, its positive and its negatives (${negatives + 2} per anchor): lower --smart-negatives or raise the batch size.`,
  neighboursTooSmall: (neighbours: number, negatives: number) =>
    `--smart-neighbours ${neighbours} is too small to find a positive and ${negatives} negatives farther than it: use at least ${negatives + 2}.`,
  stateMismatch: (detail: string) =>
    `The checkpoint's smart-mining state does not fit this run (${detail}): resume it with the configuration it was started with.`,
  refreshed: (t: number, entries: number, recall: number, k: number, ms: number) =>
    `  index @${t}: ${entries} embeddings, recall@${k} ${Number.isNaN(recall) ? '-' : recall.toFixed(3)} against exact search, ${Math.round(ms)} ms (embed + build + recall)`,
  harder: (fraction: number, low: number, from: number, to: number, first: number, last: number) =>
    `active pair fraction ${fraction.toFixed(3)} < ${low} over iterations ${first}-${last}: neighbourhood ${from} -> ${to} (harder negatives)`,
  easier: (fraction: number, high: number, from: number, to: number, first: number, last: number) =>
    `active pair fraction ${fraction.toFixed(3)} > ${high} over iterations ${first}-${last}: neighbourhood ${from} -> ${to} (easier negatives)`,
} as const;
