/**
 * Staleness inside the loss (memory-staleness.csv): one real step on a scripted memory, against a
 * naive recomputation from the step's own fresh embeddings and the memory before and after it:
 * the returned samples' true drift by age, and the memory loss's active pairs by entry age.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/backend/tf.js';
import { createEmbedder } from '../../src/model/embedder.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { trainStep } from '../../src/train/step.js';
import { createAdapter } from '../../src/memory/adapt/index.js';
import { ageBin } from '../../src/memory/in-loss-staleness.js';
import { readMemoryStaleness, memoryStalenessPath } from '../../src/io/formats/memory-staleness.js';
import { ioMessages } from '../../src/messages/io.js';
import { Rng } from '../../src/random.js';
import { tempDir } from '../helpers/tmp.js';

await tf.setBackend('cpu');

const naiveBin = (age: number) => {
  if (age === 0) return 0;
  let b = 1;
  while (b * 2 <= age) b *= 2;
  return b;
};

test('age bins are powers of two: 0 | 1 | 2-3 | 4-7 | 8-15 ...', () => {
  for (let age = 0; age < 70; age++) assert.equal(ageBin(age), naiveBin(age), `age ${age}`);
});

test('the in-loss staleness of a step equals a naive recomputation on a scripted memory (contrastive, memory of several ages, a sample stored twice)', () => {
  const rng = new Rng(8);
  const dim = 4;
  const model = createEmbedder({ kind: 'mlp', hidden: [8], dim }, [4, 4, 1], rng);
  const optimizer = tf.train.sgd(0.01);
  const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
  const memory = new CrossBatchMemory(16, dim);
  const unitRows = (n: number) => Float32Array.from({ length: n * dim }, () => rng.normal());
  const normalise = (x: Float32Array) => {
    for (let j = 0; j < x.length / dim; j++) {
      const n = Math.hypot(...x.subarray(j * dim, (j + 1) * dim));
      for (let k = 0; k < dim; k++) x[j * dim + k] /= n;
    }
    return x;
  };
  // Ages at iteration 12: 10, 7, 6, 3, 1; sample 3 is stored twice (ages 10 and 3).
  const script: [number[], number][] = [[[1, 2, 3], 2], [[4, 5], 5], [[6, 7], 6], [[8, 3], 9], [[9, 10], 11]];
  for (const [ids, at] of script) memory.enqueue(normalise(unitRows(ids.length)), Int32Array.from(ids, (id) => id % 3), Int32Array.from(ids), at);
  const before = memory.entries();
  const ids = Int32Array.from([3, 5, 9, 11, 12, 1]);
  const labels = Int32Array.from(ids, (id) => id % 3);
  const t = 12;
  const r = trainStep(model, loss, optimizer, memory, { pixels: Float32Array.from({ length: ids.length * 16 }, () => rng.next()), labels, sampleIds: ids, iteration: t }, {
    enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: true, adapter: createAdapter({ kind: 'none' }, { dim, trainClasses: 3, classesPerBatch: 3 }), inLossStaleness: true,
  });
  const fresh = r.embeddings!;
  const after = memory.entries();

  const expected = new Map<number, { entries: number; pairs: number; active: number; returned: number; sum: number; max: number }>();
  const bin = (age: number) => {
    const key = naiveBin(age);
    if (!expected.has(key)) expected.set(key, { entries: 0, pairs: 0, active: 0, returned: 0, sum: 0, max: -Infinity });
    return expected.get(key)!;
  };
  ids.forEach((id, i) => {
    for (const e of before.filter((x) => x.sampleId === id)) {
      let d2 = 0;
      for (let k = 0; k < dim; k++) d2 += (fresh[i * dim + k] - e.embedding[k]) ** 2;
      const b = bin(t - e.iteration);
      b.returned++;
      b.sum += d2;
      b.max = Math.max(b.max, d2);
    }
  });
  let activeTotal = 0;
  for (const e of after) {
    const b = bin(t - e.iteration);
    b.entries++;
    ids.forEach((id, i) => {
      if (e.sampleId === id && e.iteration === t) return; // the query's own row
      b.pairs++;
      let s = 0;
      for (let k = 0; k < dim; k++) s += fresh[i * dim + k] * e.embedding[k];
      if ((e.label === labels[i] && s < 1) || (e.label !== labels[i] && s > 0.5)) {
        b.active++;
        activeTotal++;
      }
    });
  }
  const got = r.memoryAges!;
  assert.deepEqual(got.map((g) => g.age_bin), [...expected.keys()].sort((a, b) => a - b));
  for (const g of got) {
    const e = expected.get(g.age_bin)!;
    assert.deepEqual([g.entries, g.pairs, g.active_pairs, g.returned], [e.entries, e.pairs, e.active, e.returned], `bin ${g.age_bin}`);
    if (e.returned === 0) assert.ok(Number.isNaN(g.mean_sq_drift) && Number.isNaN(g.max_sq_drift));
    else {
      assert.ok(Math.abs(g.mean_sq_drift - e.sum / e.returned) < 1e-6, `bin ${g.age_bin} drift ${g.mean_sq_drift} vs ${e.sum / e.returned}`);
      assert.ok(Math.abs(g.max_sq_drift - e.max) < 1e-6);
    }
  }
  assert.equal(got.reduce((a, g) => a + g.returned, 0), 5, 'samples 3 (twice), 5, 9 and 1 came back');
  assert.equal(activeTotal, r.memoryStats.active, 'the per-column activity adds up to the loss\'s own active count');
  optimizer.dispose();
  tf.disposeVariables();
});

test('memory-staleness.csv: a damaged file is one line naming it', async (t) => {
  const dir = tempDir(t);
  writeFileSync(memoryStalenessPath(dir), 'iteration,age_bin,entries,pairs,active_pairs,returned,mean_sq_drift,max_sq_drift\n3,1,x,4,2,0,NaN,NaN\n');
  await assert.rejects(readMemoryStaleness(dir), { message: ioMessages.badTable(memoryStalenessPath(dir), 'row 1: entries is "x", not a number') });
  assert.equal(await readMemoryStaleness(join(dir, 'none')), null);
});
