import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { evaluateRetrieval } from '../../src/analysis/retrieval.js';
import { kMeans, normalizedMutualInformation } from '../../src/analysis/kmeans.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { Rng } from '../../src/random.js';
import { TOL } from '../helpers/tolerances.js';
import { naiveNmi, naiveRetrieval, unitRows } from './retrieval-reference.js';

before(async () => {
  await tf.setBackend('cpu');
});

const KS = [1, 2, 4, 8];

/** Smallest gap between sorted similarities of any query: the data is tie-free above it. */
function minSimilarityGap(x: Float32Array, n: number, dim: number): number {
  let gap = Infinity;
  for (let q = 0; q < n; q++) {
    const s: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j === q) continue;
      let d = 0;
      for (let t = 0; t < dim; t++) d += x[q * dim + t] * x[j * dim + t];
      s.push(d);
    }
    s.sort((a, b) => b - a);
    for (let i = 1; i < s.length; i++) gap = Math.min(gap, s[i - 1] - s[i]);
  }
  return gap;
}

test('Recall@K and MAP@R match the naive reference on random tie-free data, across chunk sizes', async () => {
  const n = 100;
  const dim = 8;
  // Draw until no two similarities of a query lie within float32 reach of each other.
  let seed = 7;
  let x = unitRows(new Rng(seed), n, dim);
  while (minSimilarityGap(x, n, dim) < 1e-6) x = unitRows(new Rng(++seed), n, dim);
  assert.ok(seed < 100, 'a tie-free draw should come quickly');
  const rng = new Rng(seed + 1000);
  // 12 classes including label 0, sizes uneven; sample 99 is the only one of class 99.
  const labels = new Int32Array(n);
  for (let i = 0; i < n - 1; i++) labels[i] = rng.int(12);
  labels[n - 1] = 99;
  assert.ok(labels.includes(0));
  const ref = naiveRetrieval(x, labels, dim, KS);
  for (const chunkElements of [n * 7, n * n, 1]) { // 7 rows (uneven), one chunk, 1 row
    const got = await evaluateRetrieval(x, labels, dim, { ks: KS, nmi: false, chunkElements });
    for (const k of KS) assert.ok(Math.abs(got.recallAtK[k] - ref.recall[k]) < TOL.exact, `R@${k} chunk ${chunkElements}`);
    assert.ok(Math.abs(got.mapAtR - ref.map) < TOL.exact, `MAP@R ${got.mapAtR} vs ${ref.map}`);
    assert.equal(got.queries, n - 1);
    assert.equal(got.excludedQueries, 1);
    assert.ok(Number.isNaN(got.nmi));
  }
  // The reference is not trivially 0 or 1, so a wrong ranking would show.
  assert.ok(ref.recall[1] > 0.02 && ref.recall[8] < 1 && ref.map > 0);
});

test('hand-placed 2-D points give hand-derived Recall@K and MAP@R; a lone class is excluded', async () => {
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  // A(0) at 0 deg, B(0) at 12, C(1) at 5, D(1) at 90, E(7, alone) at 180 (everyone's farthest).
  const x = new Float32Array([0, 12, 5, 90, 180].flatMap(deg));
  const labels = new Int32Array([0, 0, 1, 1, 7]);
  // A: C, B, D  -> R=1, first hit at 2    B: C, A, D -> first hit at 2
  // C: A, B, D  -> first hit at 3         D: B, C, A -> first hit at 2
  const got = await evaluateRetrieval(x, labels, 2, { ks: [1, 2, 3], nmi: false });
  assert.deepEqual(got.recallAtK, { 1: 0, 2: 0.75, 3: 1 });
  assert.equal(got.mapAtR, 0); // R = 1 and no query's first neighbour is relevant
  assert.equal(got.queries, 4);
  assert.equal(got.excludedQueries, 1);
});

test('MAP@R gives partial credit by position (hand example)', async () => {
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  // Class 0 at 0, 10, 35 degrees; class 1 at 22 and 200. Neighbours by angle, no ties:
  // q0 (0):   10+ 22- 35+     R=2: AP = (1/1) / 2 = 0.5
  // q1 (10):  0+ 22- 35+      R=2: AP = 0.5
  // q2 (35):  22- 10+ 0+      R=2: AP = (1/2) / 2 = 0.25
  // q3 (22):  10- 35- 0- 200+ R=1: AP = 0
  // q4 (200): 0- ...          R=1: AP = 0
  const x = new Float32Array([0, 10, 35, 22, 200].flatMap(deg));
  const labels = new Int32Array([0, 0, 0, 1, 1]);
  const got = await evaluateRetrieval(x, labels, 2, { ks: [1], nmi: false });
  assert.ok(Math.abs(got.mapAtR - (0.5 + 0.5 + 0.25) / 5) < TOL.float32, String(got.mapAtR));
  assert.ok(Math.abs(got.recallAtK[1] - 2 / 5) < TOL.exact); // q0 and q1 hit at 1
});

test('ties are broken by the lower sample index', async () => {
  // Samples 1 and 2 are the same vector, equally similar to query 0; 1 is a lone class 6, 2 shares
  // query 0's class 5. Lower index first: query 0 sees 1 (miss) before 2; query 2 sees 1 first.
  const x = new Float32Array([1, 0, 0, 1, 0, 1]);
  const labels = new Int32Array([5, 6, 5]);
  const got = await evaluateRetrieval(x, labels, 2, { ks: [1, 2], nmi: false });
  assert.deepEqual(got.recallAtK, { 1: 0, 2: 1 }); // higher-index-first would give R@1 = 0.5
  assert.deepEqual(naiveRetrieval(x, labels, 2, [1, 2]).recall, got.recallAtK);
  assert.equal(got.excludedQueries, 1);
});

test('only lone classes: no query to count, Recall and MAP@R are NaN', async () => {
  const x = unitRows(new Rng(1), 4, 3);
  const got = await evaluateRetrieval(x, new Int32Array([0, 1, 2, 3]), 3, { nmi: false });
  assert.equal(got.queries, 0);
  assert.equal(got.excludedQueries, 4);
  assert.ok(Number.isNaN(got.recallAtK[1]) && Number.isNaN(got.mapAtR));
});

test('NMI: k-means recovers well separated clusters (NMI 1) and is seeded', async () => {
  const rng = new Rng(3);
  const k = 5;
  const dim = 6;
  const per = 20;
  const centres = unitRows(rng, k, dim);
  const x = new Float32Array(k * per * dim);
  const labels = new Int32Array(k * per);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < per; i++) {
      const row = c * per + i;
      labels[row] = c === 0 ? 0 : c * 11; // label 0 and sparse labels
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const v = centres[c * dim + t] + 0.02 * rng.normal();
        x[row * dim + t] = v;
        s += v * v;
      }
      for (let t = 0; t < dim; t++) x[row * dim + t] /= Math.sqrt(s);
    }
  }
  const got = await evaluateRetrieval(x, labels, dim, { rng: new Rng(11) });
  assert.ok(Math.abs(got.nmi - 1) < TOL.float32, String(got.nmi));
  assert.equal(got.recallAtK[1], 1);
  const a = await kMeans(x, dim, { k, rng: new Rng(5) });
  const b = await kMeans(x, dim, { k, rng: new Rng(5) });
  assert.deepEqual(a.assignments, b.assignments);
  assert.ok(a.converged);
  // Random labels against the same embeddings: NMI far from 1.
  const shuffled = new Rng(9).shuffle(Int32Array.from(labels));
  assert.ok((await evaluateRetrieval(x, shuffled, dim, { rng: new Rng(11) })).nmi < 0.3);
});

test('normalizedMutualInformation matches its definition', async () => {
  assert.equal(normalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  assert.ok(Math.abs(normalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1])) < TOL.exact);
  assert.equal(normalizedMutualInformation([3, 3, 3], [0, 0, 0]), 1);
  const rng = new Rng(2);
  for (let trial = 0; trial < 5; trial++) {
    const a = Array.from({ length: 50 }, () => rng.int(4));
    const b = Array.from({ length: 50 }, () => rng.int(6));
    assert.ok(Math.abs(normalizedMutualInformation(a, b) - naiveNmi(a, b)) < TOL.exact);
  }
});

test('no tensors leak and bad input gets the defined messages', async () => {
  const x = unitRows(new Rng(4), 30, 4);
  const labels = new Int32Array(30).map((_, i) => i % 3);
  const before = tf.memory().numTensors;
  await evaluateRetrieval(x, labels, 4, { chunkElements: 100 });
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(() => evaluateRetrieval(x, labels.subarray(1), 4), { message: analysisMessages.labelLengthMismatch(30, 29) });
  await assert.rejects(() => evaluateRetrieval(x, labels, 7), { message: analysisMessages.badEmbeddingShape(120, 7) });
  await assert.rejects(() => evaluateRetrieval(x, labels, 4, { ks: [0] }), { message: analysisMessages.badRecallK(0) });
});
