/**
 * --xbm-adapt: each strategy's update against a plain-loop reference of its definition on fixed
 * inputs (memory/adapt/*.ts, train/key-encoder.ts), and refresh-by-id's memory against a naive
 * keyed FIFO. The leak tests of the strategies inside the real step are in test/train/step.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { MomentsAdapter, momentsSmoothing } from '../../src/memory/adapt/moments.js';
import { SdcAdapter } from '../../src/memory/adapt/sdc.js';
import { ADAPT_KINDS, createAdapter, type ReturnedSample } from '../../src/memory/adapt/index.js';
import { KeyEncoder } from '../../src/train/key-encoder.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { Rng } from '../../src/random.js';

await tf.setBackend('cpu');

const unit = (rng: Rng, n: number, dim: number): number[][] =>
  Array.from({ length: n }, () => {
    const v = Array.from({ length: dim }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => Math.fround(x / norm));
  });
const flat = (rows: number[][]) => Float32Array.from(rows.flat());
const renorm = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
function close(actual: Float32Array, expected: number[][], tol: number, what: string): void {
  const e = expected.flat();
  assert.equal(actual.length, e.length, what);
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(actual[i] - e[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${e[i]}`);
}

/** ACBN's update, as loops: standardise each dimension of the memory, rescale to the smoothed batch moments, renormalise. */
function naiveMoments(memory: number[][], batch: number[][], estimate: { mean: number[]; variance: number[] } | null, alpha: number) {
  const dim = batch[0].length;
  const mean = (rows: number[][], k: number) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  const variance = (rows: number[][], k: number) => rows.reduce((a, r) => a + (r[k] - mean(rows, k)) ** 2, 0) / rows.length;
  const next = { mean: [] as number[], variance: [] as number[] };
  for (let k = 0; k < dim; k++) {
    next.mean[k] = estimate ? (1 - alpha) * estimate.mean[k] + alpha * mean(batch, k) : mean(batch, k);
    next.variance[k] = estimate ? (1 - alpha) * estimate.variance[k] + alpha * variance(batch, k) : variance(batch, k);
  }
  const rows = memory.map((r) => r.map((x, k) => (x - mean(memory, k)) * Math.sqrt(next.variance[k] / variance(memory, k)) + next.mean[k]));
  return { rows: rows.map(renorm), estimate: next };
}

test('moments: two steps equal the plain-loop ACBN update (EMA of the batch moments, per-dimension alignment, unit rows)', () => {
  const rng = new Rng(11);
  const dim = 5;
  const alpha = 0.4;
  const adapter = new MomentsAdapter(dim, alpha);
  let memory = unit(rng, 9, dim);
  const buffer = flat(memory);
  let estimate = null as ReturnType<typeof naiveMoments>['estimate'] | null;
  for (let step = 0; step < 2; step++) {
    const batch = unit(rng, 4, dim).map((r) => r.map((x) => Math.fround(x * 0.5 + 0.3)));
    adapter.adapt({ rows: buffer, size: 9, dim, batch: flat(batch), returned: [] });
    const expected = naiveMoments(memory, batch, estimate, alpha);
    close(buffer, expected.rows, 2e-6, `step ${step} rows`);
    close(adapter.state()!, [expected.estimate.mean, expected.estimate.variance], 1e-6, `step ${step} estimate`);
    memory = Array.from({ length: 9 }, (_, j) => Array.from(buffer.subarray(j * dim, (j + 1) * dim)));
    estimate = { mean: Array.from(adapter.state()!.subarray(0, dim)), variance: Array.from(adapter.state()!.subarray(dim)) };
  }
  // A restored estimate continues exactly where the saved one was.
  const copy = new MomentsAdapter(dim, alpha);
  copy.restore(adapter.state()!);
  assert.deepEqual(copy.state(), adapter.state());
});

test('moments: the smoothing horizon is the batches that see every training class once (alpha = 2 / (h + 1))', () => {
  assert.equal(momentsSmoothing({ trainClasses: 50, classesPerBatch: 16 }), 2 / (4 + 1));
  assert.equal(momentsSmoothing({ trainClasses: 10, classesPerBatch: 16 }), 1);
});

/** SDC as loops: Gaussian weights on the stored copies, sigma^2 = median pairwise squared distance of those copies. */
function naiveSdc(memory: number[][], batch: number[][], returned: { row: number; slot: number }[]): number[][] {
  const sq = (a: number[], b: number[]) => a.reduce((s, x, k) => s + (x - b[k]) ** 2, 0);
  const from = returned.map((r) => memory[r.slot]);
  const drift = returned.map((r) => batch[r.row].map((x, k) => x - memory[r.slot][k]));
  const pairs: number[] = [];
  for (let a = 0; a < from.length; a++) for (let b = a + 1; b < from.length; b++) pairs.push(sq(from[a], from[b]));
  pairs.sort((p, q) => p - q);
  const sigma2 = pairs.length % 2 ? pairs[(pairs.length - 1) / 2] : (pairs[pairs.length / 2 - 1] + pairs[pairs.length / 2]) / 2;
  return memory.map((m) => {
    const w = from.map((s) => Math.exp(-sq(m, s) / (2 * sigma2)));
    const total = w.reduce((a, b) => a + b, 0);
    return renorm(m.map((x, k) => x + w.reduce((a, wi, i) => a + wi * drift[i][k], 0) / total));
  });
}

test('sdc: each row moves by the Gaussian-weighted drift of the re-embedded samples, then is renormalised', () => {
  const rng = new Rng(5);
  const dim = 6;
  const memory = unit(rng, 10, dim);
  const batch = unit(rng, 5, dim);
  const returned: ReturnedSample[] = [
    { row: 0, slot: 2, age: 3, sqDrift: 0 },
    { row: 1, slot: 7, age: 1, sqDrift: 0 },
    { row: 3, slot: 4, age: 2, sqDrift: 0 },
    { row: 4, slot: 9, age: 5, sqDrift: 0 },
  ];
  const buffer = flat(memory);
  new SdcAdapter().adapt({ rows: buffer, size: 10, dim, batch: flat(batch), returned });
  close(buffer, naiveSdc(memory, batch, returned), 2e-6, 'rows');
  // Without a re-embedded sample there is nothing to compensate with.
  const untouched = flat(memory);
  new SdcAdapter().adapt({ rows: untouched, size: 10, dim, batch: flat(batch), returned: [] });
  assert.deepEqual(untouched, flat(memory));
});

/** A memory keyed by sample id, as loops: overwrite the id's row in its slot, else write at the head. */
function naiveKeyedFifo(capacity: number, batches: { ids: number[]; iteration: number }[]) {
  const slots: { id: number; iteration: number }[] = [];
  let head = 0;
  for (const b of batches) {
    for (const id of b.ids) {
      const at = slots.findIndex((s) => s.id === id);
      if (at >= 0) slots[at] = { id, iteration: b.iteration };
      else {
        slots[head] = { id, iteration: b.iteration };
        head = (head + 1) % capacity;
      }
    }
  }
  return slots;
}

test('refresh-by-id: a returning sample overwrites its row in place; the memory equals a naive keyed FIFO and survives state/restore', () => {
  const rng = new Rng(2);
  const dim = 3;
  const capacity = 7;
  const batches = [[1, 2, 3], [4, 1, 5], [6, 7, 2], [8, 9, 1], [3, 10, 11], [12, 4, 13]].map((ids, t) => ({ ids, iteration: t + 1 }));
  const memory = new CrossBatchMemory(capacity, dim);
  const plain = new CrossBatchMemory(capacity, dim);
  let plainDuplicates = 0;
  for (const b of batches) {
    const emb = flat(unit(rng, b.ids.length, dim));
    const slots = memory.enqueue(emb, Int32Array.from(b.ids, (id) => id % 3), Int32Array.from(b.ids), b.iteration, { refreshById: true });
    plain.enqueue(emb, Int32Array.from(b.ids, (id) => id % 3), Int32Array.from(b.ids), b.iteration);
    plainDuplicates += plain.size - new Set(plain.entries().map((e) => e.sampleId)).size;
    assert.equal(new Set(memory.entries().map((e) => e.sampleId)).size, memory.size, `no duplicates after iteration ${b.iteration}`);
    // Each row's slot is where its id now lives (the loss's self-exclusion).
    const bySlot = new Map(memory.entries().map((e) => [e.slot, e.sampleId]));
    b.ids.forEach((id, r) => assert.equal(bySlot.get(slots[r]), id));
  }
  const expected = naiveKeyedFifo(capacity, batches);
  const got = [...memory.entries()].sort((a, b) => a.slot - b.slot).map((e) => ({ id: e.sampleId, iteration: e.iteration }));
  assert.deepEqual(got, expected);
  assert.ok(plainDuplicates > 0, 'plain XBM keeps duplicates of these batches');
  const restored = CrossBatchMemory.restore(memory.state());
  assert.deepEqual(restored.entries(), memory.entries());
});

test('returned(): every stored copy of a batch sample, with its age and squared drift', () => {
  const memory = new CrossBatchMemory(5, 2);
  memory.enqueue(Float32Array.from([1, 0, 0, 1, 0.6, 0.8]), Int32Array.from([0, 1, 2]), Int32Array.from([10, 11, 10]), 3);
  const r = memory.returned(Float32Array.from([0, 1, 1, 0]), Int32Array.from([10, 99]), 7);
  // Sample 10 (batch row 0) is stored twice (slots 0 and 2); sample 99 is not stored.
  assert.deepEqual(r.map(({ row, slot, age }) => [row, slot, age]), [[0, 0, 4], [0, 2, 4]]);
  assert.equal(r[0].sqDrift, 2);
  assert.ok(Math.abs(r[1].sqDrift - (0.6 ** 2 + 0.2 ** 2)) < 1e-6, String(r[1].sqDrift));
});

test('momentum key encoder: theta_k follows m theta_k + (1 - m) theta_q (plain loop), its keys are the embedder at theta_k, and it is checkpointed exactly', () => {
  const rng = new Rng(4);
  const model = createEmbedder({ kind: 'mlp', hidden: [6], dim: 4 }, [3, 3, 1], rng);
  const m = 0.9;
  const keys = new KeyEncoder(model, m);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 }, () => rng.next()), [2, 3, 3, 1]);
  const copy0 = model.variables.map((v) => Array.from(v.dataSync()));
  tf.dispose(keys.apply(x)); // takes the copy
  const naive = copy0.map((v) => v.slice());
  for (let step = 0; step < 3; step++) {
    model.variables.forEach((v) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', step))));
    keys.update();
    const q = model.variables.map((v) => Array.from(v.dataSync()));
    naive.forEach((k, i) => k.forEach((_, j) => (k[j] = Math.fround(Math.fround(k[j] * m) + Math.fround(q[i][j] * Math.fround(1 - m))))));
  }
  const query = model.variables.map((v) => Array.from(v.dataSync()));
  const fromKeys = keys.apply(x);
  // The embedder's own weights are back as they were.
  assert.deepEqual(model.variables.map((v) => Array.from(v.dataSync())), query);
  // The same embedder with theta_k assigned by hand gives the same keys.
  model.variables.forEach((v, i) => v.assign(tf.tensor(naive[i], v.shape)));
  const byHand = model.apply(x);
  const a = fromKeys.dataSync();
  const b = byHand.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `key ${i}: ${a[i]} vs ${b[i]}`);
  tf.dispose([fromKeys, byHand, x]);
  return keys.state().then((saved) => {
    const other = new KeyEncoder(model, m);
    other.restore(new Map(saved.map((e) => [e.name, e])), 'floats.bin');
    return other.state().then((again) => {
      assert.deepEqual(again, saved);
      keys.dispose();
      other.dispose();
      tf.disposeVariables();
    });
  });
});

test('the registry builds every strategy; each is one line there and a choice of --xbm-adapt', () => {
  assert.deepEqual([...ADAPT_KINDS], ['none', 'moments', 'sdc', 'momentum', 'refresh-by-id']);
  const env = { dim: 4, trainClasses: 10, classesPerBatch: 2 };
  assert.equal(createAdapter({ kind: 'momentum', momentum: 0.5 }, env).keyMomentum, 0.5);
  assert.equal(createAdapter({ kind: 'refresh-by-id' }, env).refreshById, true);
  assert.equal(createAdapter({ kind: 'none' }, env).adapt, undefined);
});

test('momentum key encoder: a checkpoint whose key weights do not fit the model is one line naming the file', async () => {
  const model = createEmbedder({ kind: 'mlp', hidden: [6], dim: 4 }, [3, 3, 1], new Rng(1));
  const keys = new KeyEncoder(model, 0.9);
  tf.tidy(() => {
    keys.apply(tf.zeros([1, 3, 3, 1]));
  });
  const saved = await keys.state();
  // Every weight present, the first of another model's shape.
  const wrong = new Map(saved.map((e, i) => [e.name, i === 0 ? { ...e, shape: [e.values.length] } : e]));
  const file = '/run/checkpoints/iter-000010/floats.bin';
  assert.throws(() => new KeyEncoder(model, 0.9).restore(wrong, file), (e: Error) => e.name === 'UserError' && e.message.includes(file) && !e.message.includes('\n'));
  keys.dispose();
  tf.disposeVariables();
});
