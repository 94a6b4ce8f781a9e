/**
 * Times the retrieval metrics on synthetic clustered embeddings and prints a table.
 *
 *   node --import tsx scripts/bench-retrieval.ts [--n 10000] [--d 64] [--backends wasm,cpu] [--reps 3]
 *
 * Columns: ms for Recall@1/2/4/8 alone, for Recall@K + MAP@R (one top-k pass with k = max R + 1),
 * and for NMI (k-means++ seeding + Lloyd + NMI), each as wall / process CPU, the median of --reps
 * runs after one warm-up run. Target: Recall + MAP@R on 10,000 x 64 within 2 s on wasm.
 */
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../src/backend/tf.js';
import { evaluateRetrieval } from '../src/analysis/retrieval.js';
import { kMeans, normalizedMutualInformation } from '../src/analysis/kmeans.js';
import { Rng } from '../src/random.js';
import { flag, timeMsAsync } from './bench-utils.js';


const n = Number(flag('n', '10000'));
const dim = Number(flag('d', '64'));
const backends = flag('backends', 'wasm').split(',');
const reps = Number(flag('reps', '3'));
const classCounts = flag('classes', '100,2500').split(',').map(Number);

/** Unit vectors around one random centre per class, so the metrics are neither 0 nor 1. */
function clustered(classes: number, rng: Rng): { x: Float32Array; labels: Int32Array } {
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => rng.normal()));
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const v = centres[c][t] / Math.sqrt(dim) + 1.2 * rng.normal() / Math.sqrt(dim);
      x[i * dim + t] = v;
      s += v * v;
    }
    for (let t = 0; t < dim; t++) x[i * dim + t] /= Math.sqrt(s);
  }
  return { x, labels };
}

/** Median wall / process-CPU ms after one warm-up call; CPU time shows the cost when other jobs share the cores. */
async function time(fn: () => Promise<unknown>): Promise<string> {
  const t = await timeMsAsync(fn, reps, { warmup: true });
  return `${t.wall.toFixed(0)} / ${t.cpu.toFixed(0)}`;
}

const rows: string[][] = [['n', 'd', 'classes', 'R', 'backend', 'recall@1,2,4,8 ms', 'recall+map@r ms', 'nmi ms', 'R@1', 'MAP@R', 'NMI']];
for (const backend of backends) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const classes of classCounts) {
    const { x, labels } = clustered(classes, new Rng(1));
    const msRecall = await time(() => evaluateRetrieval(x, labels, dim, { nmi: false, mapAtR: false }));
    const msMap = await time(() => evaluateRetrieval(x, labels, dim, { nmi: false }));
    let nmi = NaN;
    const msNmi = await time(async () => {
      const { assignments } = await kMeans(x, dim, { k: classes, rng: new Rng(0) });
      nmi = normalizedMutualInformation(assignments, labels);
    });
    const res = await evaluateRetrieval(x, labels, dim, { nmi: false });
    rows.push([n, dim, classes, Math.ceil(n / classes) - 1, backend, msRecall, msMap, msNmi,
      res.recallAtK[1].toFixed(3), res.mapAtR.toFixed(3), nmi.toFixed(3)].map(String));
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((v, c) => v.padStart(widths[c])).join('  '));
