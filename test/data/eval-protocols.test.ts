import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../../src/backend/tf.js';
import { evaluateQueryGallery } from '../../src/analysis/retrieval.js';
import type { EvalProtocol, Split } from '../../src/data/types.js';
import type { Embedder } from '../../src/model/embedder.js';
import { Rng } from '../../src/random.js';
import { evaluateDataset } from '../../src/train/evaluate.js';
import { naiveRetrieval, unitRows } from '../analysis/retrieval-reference.js';

before(async () => {
  await tf.setBackend('cpu');
});

const KS = [1, 2, 4, 8];

/** Query against gallery by definition: sort the gallery per query, no self-exclusion. */
function naiveQueryGallery(q: Float32Array, ql: Int32Array, g: Float32Array, gl: Int32Array, dim: number) {
  const recall: Record<number, number> = Object.fromEntries(KS.map((k) => [k, 0]));
  let map = 0;
  let queries = 0;
  for (let i = 0; i < ql.length; i++) {
    const order = Array.from(gl, (_, j) => {
      let s = 0;
      for (let t = 0; t < dim; t++) s += q[i * dim + t] * g[j * dim + t];
      return { j, s };
    }).sort((a, b) => b.s - a.s || a.j - b.j).map((e) => e.j);
    const r = gl.filter((l) => l === ql[i]).length;
    if (r === 0) continue;
    queries++;
    for (const k of KS) if (order.slice(0, k).some((j) => gl[j] === ql[i])) recall[k]++;
    let found = 0;
    let sum = 0;
    for (let p = 0; p < r; p++) if (gl[order[p]] === ql[i]) sum += ++found / (p + 1);
    map += sum / r;
  }
  for (const k of KS) recall[k] /= queries;
  return { recall, map: map / queries, queries };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('query-gallery Recall@K and MAP@R match the naive reference; queries without gallery items are excluded', async () => {
  const dim = 6;
  const rng = new Rng(3);
  const q = unitRows(rng, 40, dim);
  const g = unitRows(rng, 55, dim);
  const ql = Int32Array.from({ length: 40 }, () => rng.int(12)); // labels 10, 11 never in the gallery
  const gl = Int32Array.from({ length: 55 }, () => rng.int(10));
  const want = naiveQueryGallery(q, ql, g, gl, dim);
  for (const chunkElements of [55, 300, 8e6]) {
    const got = await evaluateQueryGallery(q, ql, g, gl, dim, { ks: KS, nmi: false, chunkElements });
    assert.equal(got.queries, want.queries);
    assert.equal(got.queries + got.excludedQueries, 40);
    assert.ok(got.excludedQueries > 0);
    for (const k of KS) close(got.recallAtK[k], want.recall[k], `R@${k}`);
    close(got.mapAtR, want.map, 'MAP@R');
  }
  assert.equal(tf.memory().numTensors, 0, 'no tensors leak');
});

test('query-gallery: a same-item gallery image identical to the query is a hit (no self-exclusion), other queries are not searched', async () => {
  // query 0 (item 1) has an exact copy in the gallery; query 1 (item 2) is closest to query 0 but queries are not the gallery
  const q = Float32Array.from([1, 0, 0.99, 0.141]);
  const g = Float32Array.from([1, 0, 0, 1, -1, 0]);
  const r = await evaluateQueryGallery(q, Int32Array.from([1, 2]), g, Int32Array.from([1, 2, 3]), 2, { ks: [1], nmi: false });
  assert.equal(r.recallAtK[1], 0.5); // query 0 hits its copy; query 1's nearest gallery item is item 1
  close(r.mapAtR, 0.5, 'MAP@R');
});

/** Embeds a sample as its 2 "pixels", normalised. */
const fakeModel: Embedder = {
  config: { kind: 'cnn', channels: [1], dim: 2 } as unknown as Embedder['config'],
  inputShape: [1, 1, 2], dim: 2, variables: [],
  apply: (x) => tf.tidy(() => {
    const flat = tf.reshape(x, [x.shape[0], 2]) as tf.Tensor2D;
    return tf.div(flat, tf.norm(flat, 2, 1, true)) as tf.Tensor2D;
  }),
};

function fakeSplit(x: Float32Array, labels: Int32Array): Split {
  return {
    size: labels.length, labels, classes: [...new Set(labels)].sort((a, b) => a - b),
    loadImages: async (ids) => Float32Array.from({ length: ids.length * 2 }, (_, k) => x[ids[Math.floor(k / 2)] * 2 + (k % 2)]),
  };
}

test('evaluateDataset: one row per protocol; sets are scored leave-one-out each, named for eval.csv', async () => {
  const rng = new Rng(5);
  const n = 30;
  const x = unitRows(rng, n, 2);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 7);
  const test = fakeSplit(x, labels);
  const opts = { ks: KS, nmi: false, seed: 1 };
  const loo = await evaluateDataset(fakeModel, { test }, 10, opts);
  assert.deepEqual(loo.map((r) => r.split), ['test']);
  close(loo[0].recall_at_1, naiveRetrieval(x, labels, 2, KS).recall[1], 'leave-one-out R@1');

  const a = Int32Array.from({ length: 12 }, (_, i) => i);
  const b = Int32Array.from({ length: 30 }, (_, i) => i);
  const sets: EvalProtocol = { kind: 'sets', sets: [{ name: 'test', ids: a }, { name: 'test-1600', ids: b }] };
  const rows = await evaluateDataset(fakeModel, { test, evaluation: sets }, 10, opts);
  assert.deepEqual(rows.map((r) => [r.iteration, r.split]), [[10, 'test'], [10, 'test-1600']]);
  const sub = naiveRetrieval(x.slice(0, 24), labels.slice(0, 12), 2, KS);
  close(rows[0].recall_at_1, sub.recall[1], 'set 1 R@1');
  close(rows[0].map_at_r, sub.map, 'set 1 MAP@R');
  close(rows[1].recall_at_2, naiveRetrieval(x, labels, 2, KS).recall[2], 'set 2 R@2');

  const qg: EvalProtocol = { kind: 'query-gallery', queryIds: Int32Array.from([0, 1, 2, 3, 4, 5, 6]), galleryIds: Int32Array.from({ length: 23 }, (_, i) => i + 7) };
  const [row] = await evaluateDataset(fakeModel, { test, evaluation: qg }, 10, opts);
  const want = naiveQueryGallery(x.slice(0, 14), labels.slice(0, 7), x.slice(14), labels.slice(7), 2);
  assert.equal(row.split, 'test');
  close(row.recall_at_1, want.recall[1], 'query-gallery R@1');
  close(row.map_at_r, want.map, 'query-gallery MAP@R');
  assert.equal(tf.memory().numTensors, 0);
});
