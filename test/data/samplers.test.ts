import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { dataMessages } from '../../src/messages/data.js';
import { Rng } from '../../src/random.js';
import { createSampler, restoreSampler, type Sampler, type SamplerConfig } from '../../src/data/samplers.js';

const userError = (message: string) => (e: unknown) => {
  assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

/** classes 0..nClasses-1 (0 included), `sizes[c]` images each, interleaved so ids and labels differ */
function labelsOf(sizes: number[]): Int32Array {
  const out: number[] = [];
  for (let k = 0; out.length < sizes.reduce((a, b) => a + b, 0); k++) {
    sizes.forEach((n, c) => {
      if (k < n) out.push(c);
    });
  }
  return Int32Array.from(out);
}

const batches = (s: Sampler, n: number) => Array.from({ length: n }, () => [...s.next()]);

function assertPk(batch: number[], labels: Int32Array, p: number, k: number, distinctImages = true) {
  assert.equal(batch.length, p * k);
  const classes = new Set<number>();
  for (let i = 0; i < p; i++) {
    const block = batch.slice(i * k, i * k + k);
    const c = labels[block[0]];
    for (const id of block) assert.equal(labels[id], c, 'a block of K holds one class');
    if (distinctImages) assert.equal(new Set(block).size, k, 'K distinct images of the class');
    assert.ok(!classes.has(c), `class ${c} twice in one batch`);
    classes.add(c);
  }
}

test('PK batches hold P distinct classes x K images; a balanced epoch serves every image once', () => {
  const labels = labelsOf(Array(10).fill(8));
  const s = createSampler({ kind: 'pk', classesPerBatch: 5, perClass: 4 }, labels, new Rng(1));
  assert.equal(s.batchSize, 20);
  for (let epoch = 1; epoch <= 3; epoch++) {
    const seen = batches(s, 4).flat();
    for (const b of [seen.slice(0, 20), seen.slice(20, 40), seen.slice(40, 60), seen.slice(60)]) assertPk(b, labels, 5, 4);
    assert.deepEqual(seen.sort((a, b) => a - b), [...labels.keys()], `epoch ${epoch} serves each image once`);
    assert.equal(s.epoch, epoch);
  }
});

test('PK draws that wrap around a pass still hold distinct classes and images', () => {
  // 7 classes / P = 3 and 5 images / K = 3: passes run out in the middle of draws
  const labels = labelsOf(Array(7).fill(5));
  const s = createSampler({ kind: 'pk', classesPerBatch: 3, perClass: 3 }, labels, new Rng(2));
  const all = batches(s, 70);
  for (const b of all) assertPk(b, labels, 3, 3);
  const count = new Map<number, number>();
  for (const id of all.flat()) count.set(id, (count.get(id) ?? 0) + 1);
  const counts = [...count.values()];
  assert.equal(count.size, labels.length, 'every image is served');
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `images served evenly: ${counts}`);
});

test('PK samples a class smaller than K with replacement, using all its images', () => {
  const labels = labelsOf([2, 6, 6, 6]);
  const s = createSampler({ kind: 'pk', classesPerBatch: 4, perClass: 4 }, labels, new Rng(3));
  for (const b of batches(s, 5)) {
    assertPk(b, labels, 4, 4, false);
    const small = b.filter((id) => labels[id] === 0);
    assert.equal(small.length, 4);
    assert.equal(new Set(small).size, 2, 'both images of the small class, each twice');
  }
});

test('shuffle batches are epoch permutations, distinct even across an epoch boundary', () => {
  const labels = labelsOf([5, 5, 5, 5, 5]);
  const s = createSampler({ kind: 'shuffle', batchSize: 5 }, labels, new Rng(4));
  const epoch1 = batches(s, 5).flat();
  assert.deepEqual([...epoch1].sort((a, b) => a - b), [...labels.keys()]);
  assert.notDeepEqual(epoch1, [...labels.keys()], 'shuffled');
  assert.equal(s.epoch, 1);
  const odd = createSampler({ kind: 'shuffle', batchSize: 7 }, labels, new Rng(4));
  for (const b of batches(odd, 30)) assert.equal(new Set(b).size, 7);
  assert.equal(odd.epoch, (30 * 7) / 25);
});

test('same rng, same sequence; another seed, another sequence', () => {
  const labels = labelsOf(Array(6).fill(6));
  const cfg: SamplerConfig = { kind: 'pk', classesPerBatch: 3, perClass: 2 };
  const a = batches(createSampler(cfg, labels, new Rng(9)), 10);
  assert.deepEqual(batches(createSampler(cfg, labels, new Rng(9)), 10), a);
  assert.notDeepEqual(batches(createSampler(cfg, labels, new Rng(10)), 10), a);
});

test('a restored sampler continues the exact same sequence, through JSON', () => {
  const labels = labelsOf([7, 5, 9, 3, 6, 5, 4]);
  const configs: SamplerConfig[] = [
    { kind: 'pk', classesPerBatch: 3, perClass: 4 },
    { kind: 'pk', classesPerBatch: 7, perClass: 2 },
    { kind: 'shuffle', batchSize: 8 },
  ];
  for (const cfg of configs) {
    for (const after of [0, 1, 5, 13]) {
      const s = createSampler(cfg, labels, new Rng(21));
      batches(s, after);
      const saved = JSON.parse(JSON.stringify(s.state()));
      const r = restoreSampler(saved, labels);
      assert.equal(r.epoch, s.epoch);
      assert.equal(r.batchSize, s.batchSize);
      assert.deepEqual(batches(r, 25), batches(s, 25), `${cfg.kind} after ${after} batches`);
      assert.deepEqual(r.state(), s.state());
    }
  }
});

test('bad sampler settings and foreign states are refused with the dataMessages texts', () => {
  const labels = labelsOf([4, 4, 4]);
  const rng = new Rng(1);
  assert.throws(() => createSampler({ kind: 'pk', classesPerBatch: 4, perClass: 2 }, labels, rng), userError(dataMessages.samplerTooManyClasses(4, 3)));
  assert.throws(() => createSampler({ kind: 'pk', classesPerBatch: 0, perClass: 2 }, labels, rng), userError(dataMessages.samplerNotPositive('classesPerBatch', 0)));
  assert.throws(() => createSampler({ kind: 'pk', classesPerBatch: 2, perClass: 1.5 }, labels, rng), userError(dataMessages.samplerNotPositive('perClass', 1.5)));
  assert.throws(() => createSampler({ kind: 'shuffle', batchSize: -3 }, labels, rng), userError(dataMessages.samplerNotPositive('batchSize', -3)));
  assert.throws(() => createSampler({ kind: 'shuffle', batchSize: 13 }, labels, rng), userError(dataMessages.samplerBatchTooLarge(13, 12)));
  assert.throws(() => createSampler({ kind: 'shuffle', batchSize: 1 }, new Int32Array(0), rng), userError(dataMessages.samplerEmpty()));
  const state = createSampler({ kind: 'pk', classesPerBatch: 2, perClass: 2 }, labels, rng).state();
  assert.throws(() => restoreSampler(state, labelsOf([4, 4, 5])), userError(dataMessages.samplerStateMismatch('saved for 12 images, the split has 13')));
  const relabelled = labelsOf([4, 4, 4]).map((l) => (l === 2 ? 5 : l));
  assert.throws(() => restoreSampler(state, relabelled), userError(dataMessages.samplerStateMismatch('saved for 12 images, the split has 12 with other labels')));
});
