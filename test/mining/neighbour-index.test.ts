import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIndex, ExactIndex, indexRecall, loadHnsw } from '../../src/mining/neighbour-index.js';
import { Rng } from '../../src/random.js';

/** n random unit vectors of width d, row-major. */
export function unitRows(rng: Rng, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < d; k++) {
      const v = rng.normal();
      out[i * d + k] = v;
      norm += v * v;
    }
    for (let k = 0; k < d; k++) out[i * d + k] /= Math.sqrt(norm);
  }
  return out;
}

const dotRows = (e: Float32Array, d: number, a: number, b: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += e[a * d + k] * e[b * d + k];
  return s;
};

test('exact search returns the k largest inner products in order, as a naive sort of all of them does', () => {
  const d = 6;
  const e = unitRows(new Rng(1), 300, d);
  const index = new ExactIndex(e, d);
  for (const q of [0, 17, 299]) {
    const got = index.search(e.subarray(q * d, (q + 1) * d), 12);
    const naive = Array.from({ length: 300 }, (_, i) => [i, dotRows(e, d, q, i)] as const).sort((a, b) => b[1] - a[1]).slice(0, 12);
    assert.deepEqual(Array.from(got.ids), naive.map(([i]) => i));
    got.similarities.forEach((s, r) => assert.ok(Math.abs(s - naive[r][1]) < 1e-6));
    assert.equal(got.ids[0], q, 'a unit vector is its own nearest neighbour');
  }
  assert.equal(indexRecall(index, e, d, Int32Array.from([0, 5, 9]), 10), 1, 'exact search has recall 1 against itself');
});

// hnswlib-node is an optional dependency (built by node-gyp): without it the test skips, except
// under CI (process.env.CI set, .ci/run installs the compilers), where it fails instead.
const hnswMissing = loadHnsw() ? false : 'hnswlib-node is not installed (optional dependency; needs g++, make, python3)';
test('HNSW (hnswlib-node) finds almost all true neighbours on random data, with the right similarities', { skip: hnswMissing && !process.env.CI ? hnswMissing : false }, () => {
  const d = 16;
  const n = 2000;
  const e = unitRows(new Rng(2), n, d);
  const hnsw = buildIndex('hnsw', e, d);
  const rng = new Rng(3);
  const queries = Int32Array.from({ length: 200 }, () => rng.int(n));
  const recall = indexRecall(hnsw, e, d, queries, 10);
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  const r = hnsw.search(e.subarray(0, d), 5);
  for (let k = 0; k < r.ids.length; k++) assert.ok(Math.abs(r.similarities[k] - dotRows(e, d, 0, r.ids[k])) < 1e-5);
  for (let k = 1; k < r.ids.length; k++) assert.ok(r.similarities[k] <= r.similarities[k - 1] + 1e-6, 'most similar first');
  // The same embeddings give the same graph (a resumed run rebuilds it): same answers.
  const again = buildIndex('hnsw', e, d);
  for (const q of queries.subarray(0, 20)) assert.deepEqual(Array.from(again.search(e.subarray(q * d, (q + 1) * d), 10).ids), Array.from(hnsw.search(e.subarray(q * d, (q + 1) * d), 10).ids));
});

test('recall measures misses: an index that returns the wrong neighbours scores below 1', () => {
  const d = 4;
  const e = unitRows(new Rng(4), 50, d);
  const exact = new ExactIndex(e, d);
  // Returns the k *least* similar: recall 0 unless k covers the set.
  const reversed = { kind: 'exact' as const, size: 50, search: (q: Float32Array, k: number) => {
    const all = exact.search(q, 50);
    return { ids: all.ids.slice(50 - k).reverse(), similarities: all.similarities.slice(50 - k).reverse() };
  } };
  assert.equal(indexRecall(reversed, e, d, Int32Array.from([1, 2, 3]), 5), 0);
});
