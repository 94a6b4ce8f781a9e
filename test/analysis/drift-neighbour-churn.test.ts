import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedNeighbours, computeNeighbourChurn, nearestNeighbours } from '../../src/analysis/neighbour-churn.js';
import { UserError } from '../../src/errors.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { driftMessages } from '../../src/messages/drift.js';
import { Rng } from '../../src/random.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun, naiveNearest, seededFloats } from './drift-fixtures.js';

test('nearest neighbours equal the naive search, cosine and euclidean, at awkward widths', () => {
  const rng = new Rng(8);
  const problems: string[] = [];
  for (const metric of ['cosine', 'euclidean'] as const) {
    for (const [n, dim] of [[2, 1], [3, 2], [17, 3], [60, 4], [120, 9], [90, 128]]) {
      const emb = seededFloats(rng, n * dim);
      const got = nearestNeighbours(emb, dim, metric);
      const want = naiveNearest(emb, dim, metric);
      for (let i = 0; i < n; i++) if (got[i] !== want[i]) problems.push(`${metric} n=${n} dim=${dim} row ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the metrics differ where they should: cosine ignores length, euclidean does not', () => {
  // Row 0 points along x; row 1 along x but far; row 2 near the origin at 45 degrees.
  const emb = Float32Array.from([1, 0, 10, 0, 0.3, 0.3]);
  assert.deepEqual([...nearestNeighbours(emb, 2, 'cosine')], [1, 0, 0]);
  assert.deepEqual([...nearestNeighbours(emb, 2, 'euclidean')], [2, 0, 0]);
  // Ties go to the lowest index; a single row has no neighbour.
  assert.deepEqual([...nearestNeighbours(Float32Array.from([0, 1, -1]), 1, 'euclidean')], [1, 0, 0]);
  assert.deepEqual([...nearestNeighbours(Float32Array.from([1, 2]), 2, 'cosine')], [-1]);
});

test('churn per (t, dt) equals the share of changed naive neighbours, within the limit', (t) => {
  const dir = tempDir(t);
  const iterations = [0, 1, 10, 11];
  const run = makeRun(dir, { n: 40, dim: 3, iterations });
  const limit = 25;
  const res = computeNeighbourChurn(SnapshotReader.open(dir), [0, 1, 10, 5], { metric: 'euclidean', limit });
  assert.equal(res.n, limit);
  assert.equal(res.probeSize, 40);
  const nn = (it: number) => naiveNearest(run.embeddings.get(it)!.subarray(0, limit * 3), 3, 'euclidean');
  const want: string[] = [];
  for (const g of [0, 1, 10]) {
    for (const it of iterations) {
      if (!run.embeddings.has(it - g)) continue;
      const a = nn(it - g);
      const b = nn(it);
      let changed = 0;
      for (let i = 0; i < limit; i++) if (a[i] !== b[i]) changed++;
      want.push(`${it}/${g}: ${changed}/${limit}`);
    }
  }
  assert.deepEqual(res.rows.map((r) => `${r.iteration}/${r.gap}: ${r.changed}/${r.n}`), want);
  assert.ok(res.rows.every((r) => r.churn === r.changed / r.n && r.metric === 'euclidean'));
  assert.ok(res.rows.some((r) => r.changed > 0), 'the random walk moves some neighbours');
  assert.ok(res.rows.filter((r) => r.gap === 0).every((r) => r.changed === 0));
});

test('changedNeighbours counts differences, and a bad limit is a user error', (t) => {
  assert.equal(changedNeighbours(Int32Array.from([1, 0, 0]), Int32Array.from([1, 2, 0])), 1);
  const dir = tempDir(t);
  makeRun(dir, { n: 4, dim: 2, iterations: [0, 1] });
  assert.throws(
    () => computeNeighbourChurn(SnapshotReader.open(dir), [1], { limit: 1 }),
    (e: unknown) => e instanceof UserError && e.message === driftMessages.badNeighbourLimit(1),
  );
});
