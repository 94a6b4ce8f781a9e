/**
 * Forward + backward time of the similarity S = q · refᵀ (q 64x64, ref Mx64), stock
 * tf.matMul(q, ref, false, true) against cosineSimilarity's flag-free custom gradient, on the cpu
 * and wasm backends. Two cases: gradients w.r.t. q and ref (in-batch), and w.r.t. q only (ref is
 * the memory, a constant). Prints a Markdown table of median ms.
 *
 * Run: node --import tsx scripts/bench-similarity.ts [--reps 9]
 */
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../src/backend/tf.js';
import { cosineSimilarity } from '../src/losses/similarity.js';
import { Rng } from '../src/random.js';

const SIZES = [64, 3000, 8192];
const BACKENDS = ['cpu', 'wasm'];
const Q = 64;
const D = 64;
const repsFlag = process.argv.indexOf('--reps');
const REPS = repsFlag > 0 ? Number(process.argv[repsFlag + 1]) : 9;
const WARMUP = 3;

type Sim = (q: tf.Tensor2D, ref: tf.Tensor2D) => tf.Tensor2D;
const stock: Sim = (q, ref) => tf.matMul(q, ref, false, true);

function unitRows(rng: Rng, n: number): tf.Tensor2D {
  const v = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < D; k++) norm += (v[i * D + k] = rng.normal()) ** 2;
    for (let k = 0; k < D; k++) v[i * D + k] /= Math.sqrt(norm);
  }
  return tf.tensor2d(v, [n, D]);
}

/** Runs forward + backward once; returns the gradients (caller disposes). */
function step(sim: Sim, q: tf.Tensor2D, ref: tf.Tensor2D, dy: tf.Tensor2D, both: boolean): tf.Tensor[] {
  const f = (a: tf.Tensor, b: tf.Tensor) => sim(a as tf.Tensor2D, b as tf.Tensor2D);
  if (both) return tf.grads(f)([q, ref], dy);
  return [tf.grad((a: tf.Tensor) => f(a, ref))(q, dy)];
}

function medianMs(run: () => tf.Tensor[]): number {
  const times: number[] = [];
  for (let r = 0; r < WARMUP + REPS; r++) {
    const t0 = performance.now();
    const out = run();
    for (const t of out) t.dataSync(); // make sure the work is done
    const ms = performance.now() - t0;
    tf.dispose(out);
    if (r >= WARMUP) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function maxAbsDiff(a: tf.Tensor[], b: tf.Tensor[]): number {
  let worst = 0;
  a.forEach((t, i) => {
    const [x, y] = [t.dataSync(), b[i].dataSync()];
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k] - y[k]));
  });
  return worst;
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
console.log(`forward + backward, q ${Q}x${D} by ref Mx${D}, median of ${REPS} runs (ms)\n`);
console.log('| backend | M | grads | stock matMul(q, ref, false, true) | cosineSimilarity | speed-up | max abs diff |');
console.log('|---|---:|---|---:|---:|---:|---:|');
for (const backend of BACKENDS) {
  await tf.setBackend(backend);
  await tf.ready();
  const rng = new Rng(1);
  for (const m of SIZES) {
    const [q, ref] = [unitRows(rng, Q), unitRows(rng, m)];
    const dy = tf.randomNormal([Q, m], 0, 1, 'float32', 2) as tf.Tensor2D;
    for (const both of [true, false]) {
      const a = medianMs(() => step(stock, q, ref, dy, both));
      const b = medianMs(() => step(cosineSimilarity, q, ref, dy, both));
      const [ga, gb] = [step(stock, q, ref, dy, both), step(cosineSimilarity, q, ref, dy, both)];
      const diff = maxAbsDiff(ga, gb);
      tf.dispose([ga, gb]);
      const grads = both ? 'q and ref' : 'q only';
      console.log(`| ${backend} | ${m} | ${grads} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(1)}x | ${diff.toExponential(1)} |`);
    }
    tf.dispose([q, ref, dy]);
  }
}
