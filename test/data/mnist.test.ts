import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { dataMessages } from '../../src/messages/data.js';
import { DATASET_NAMES, loadDataset } from '../../src/data/registry.js';
import { mnistDataDir } from '../../src/data/mnist-files.js';
import { loadMultiDigit, type MultiDigitDataset } from '../../src/data/multi-digit.js';
import type { Dataset } from '../../src/data/types.js';

/** The raw MNIST files read directly (no parser of ours), to check images against. */
const raw = (() => {
  const dir = mnistDataDir();
  const file = (which: string) => ({
    images: readFileSync(join(dir, `${which}-images-idx3-ubyte`)).subarray(16),
    labels: readFileSync(join(dir, `${which}-labels-idx1-ubyte`)).subarray(8),
  });
  return { train: file('train'), t10k: file('t10k') };
})();

const userError = (message: string) => (e: unknown) => {
  assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

function assertClassDisjoint(d: Dataset) {
  const train = new Set(d.train.labels);
  const test = new Set(d.test.labels);
  for (const c of test) assert.ok(!train.has(c), `class ${c} is in both splits`);
  assert.deepEqual([...d.train.classes], [...train].sort((a, b) => a - b));
  assert.deepEqual([...d.test.classes], [...test].sort((a, b) => a - b));
}

function perClassCounts(labels: Int32Array): Set<number> {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return new Set(counts.values());
}

async function digest(d: Dataset): Promise<string> {
  const sample = [0, 1, d.train.size - 1];
  const imgs = [...(await d.train.loadImages(sample)), ...(await d.test.loadImages(sample))];
  return `${d.train.labels.join()}|${d.test.labels.join()}|${imgs.reduce((s, v, i) => s + v * (i + 1), 0)}`;
}

test('unknown datasets are refused with the list of known ones', async () => {
  assert.deepEqual([...DATASET_NAMES], [
    'mnist', 'mnist2', 'mnist3', 'idx:<folder>', 'cub200:<root>', 'cars196:<root>', 'sop:<root>', 'inshop:<root>', 'vehicleid:<root>', 'folder:<root>', 'list:<train.txt>,<test.txt>',
  ]);
  await assert.rejects(loadDataset('cifar', { dataSeed: 1 }), userError(dataMessages.unknownDataset('cifar', DATASET_NAMES)));
  await assert.rejects(loadDataset('mnist22', { dataSeed: 1 }), userError(dataMessages.unknownDataset('mnist22', DATASET_NAMES)));
});

test('mnist: digits 0-4 of the train file train, digits 5-9 of t10k test', async () => {
  const d = await loadDataset('mnist', { dataSeed: 1 });
  assert.equal(d.name, 'mnist');
  assert.deepEqual(d.imageShape, [28, 28, 1]);
  assert.deepEqual(d.train.classes, [0, 1, 2, 3, 4]);
  assert.deepEqual(d.test.classes, [5, 6, 7, 8, 9]);
  assertClassDisjoint(d);
  const trainRows = [...raw.train.labels.keys()].filter((i) => raw.train.labels[i] < 5);
  const testRows = [...raw.t10k.labels.keys()].filter((i) => raw.t10k.labels[i] >= 5);
  assert.equal(d.train.size, trainRows.length);
  assert.equal(d.test.size, testRows.length);
  // samples keep file order: sample i is the i-th qualifying image of the file
  for (const [split, rows, file] of [[d.train, trainRows, raw.train], [d.test, testRows, raw.t10k]] as const) {
    for (const i of [0, 1, split.size - 1]) {
      assert.equal(split.labels[i], file.labels[rows[i]]);
      const img = await split.loadImages([i]);
      const src = file.images.subarray(rows[i] * 784, rows[i] * 784 + 784);
      assert.deepEqual([...img], [...src].map((v) => Math.fround(v / 255)));
    }
  }
  assert.ok(d.description.includes('0-4') && d.description.includes('5-9'));
});

test('mnist: perClass takes a seeded subset; too large names the limiting class', async () => {
  const a = await loadDataset('mnist', { dataSeed: 4, perClass: 30 });
  assert.deepEqual([...perClassCounts(a.train.labels)], [30]);
  assert.deepEqual([...perClassCounts(a.test.labels)], [30]);
  assert.equal(await digest(a), await digest(await loadDataset('mnist', { dataSeed: 4, perClass: 30 })));
  assert.notEqual(await digest(a), await digest(await loadDataset('mnist', { dataSeed: 5, perClass: 30 })));
  let worst = { label: -1, count: Infinity };
  for (const [file, lo] of [[raw.train, 0], [raw.t10k, 5]] as const) {
    for (let c = lo; c < lo + 5; c++) {
      const n = file.labels.filter((l) => l === c).length;
      if (n < worst.count) worst = { label: c, count: n };
    }
  }
  await assert.rejects(
    loadDataset('mnist', { dataSeed: 1, perClass: worst.count + 1 }),
    userError(dataMessages.perClassTooLarge('mnist', worst.count + 1, worst.count, worst.label)),
  );
  await loadDataset('mnist', { dataSeed: 1, perClass: worst.count }); // the maximum itself works
});

async function checkMultiDigit(d: MultiDigitDataset, digits: 2 | 3, perClass: number) {
  const nClasses = 10 ** digits;
  assert.deepEqual(d.imageShape, [28, 28 * digits, 1]);
  assert.equal(d.train.classes.length, nClasses / 2);
  assert.equal(d.test.classes.length, nClasses / 2);
  assert.deepEqual([...d.train.classes, ...d.test.classes].sort((a, b) => a - b), [...Array(nClasses).keys()]);
  assertClassDisjoint(d);
  assert.deepEqual([...perClassCounts(d.train.labels)], [perClass]);
  assert.deepEqual([...perClassCounts(d.test.labels)], [perClass]);
  assert.equal(d.train.sourceFile, 'train');
  assert.equal(d.test.sourceFile, 't10k');
  // every digit image a sample is made of comes from its split's file and spells the class
  for (const split of [d.train, d.test]) {
    const file = raw[split.sourceFile];
    for (let i = 0; i < split.size; i++) {
      const spelled = Array.from({ length: digits }, (_, p) => file.labels[split.digitRows[i * digits + p]]).join('');
      assert.equal(Number(spelled), split.labels[i]);
    }
  }
}

test('mnist2: 100 classes, a seeded half each side, train digits from train and test digits from t10k', async () => {
  const d = await loadMultiDigit(2, 'mnist2', { dataSeed: 1 });
  await checkMultiDigit(d, 2, 60);
  assert.equal(d.name, 'mnist2');
  assert.ok(new Set(d.train.digitRows).size > 1000, 'digit images are varied, not a few reused');
  assert.ok(!d.description.includes('\n') && d.description.includes('100 classes'), d.description);
});

test('mnist2: each image is its digits side by side, pixel for pixel', async () => {
  const d = await loadMultiDigit(2, 'mnist2', { dataSeed: 7, perClass: 5 });
  for (const split of [d.train, d.test]) {
    const file = raw[split.sourceFile];
    const ids = [0, 1, 2, split.size - 1];
    const imgs = await split.loadImages(ids);
    ids.forEach((id, k) => {
      for (let r = 0; r < 28; r++) {
        for (let x = 0; x < 56; x++) {
          const p = x < 28 ? 0 : 1;
          const row = split.digitRows[id * 2 + p];
          const want = Math.fround(file.images[row * 784 + r * 28 + (x % 28)] / 255);
          assert.equal(imgs[k * 28 * 56 + r * 56 + x], want, `sample ${id} pixel (${r}, ${x})`);
        }
      }
    });
  }
});

test('mnist2: class 0 ("00") is an ordinary class made of two zeros', async () => {
  const d = await loadMultiDigit(2, 'mnist2', { dataSeed: 1, perClass: 4 });
  const split = d.train.classes.includes(0) ? d.train : d.test;
  const ids = [...split.labels.keys()].filter((i) => split.labels[i] === 0);
  assert.equal(ids.length, 4);
  for (const i of ids) {
    assert.equal(raw[split.sourceFile].labels[split.digitRows[2 * i]], 0);
    assert.equal(raw[split.sourceFile].labels[split.digitRows[2 * i + 1]], 0);
  }
  const imgs = await split.loadImages(ids);
  assert.ok(imgs.some((v) => v > 0.5), 'class 0 images have ink');
});

test('mnist2: determined by dataSeed; perClass changes the images, not the class split', async () => {
  const a = await loadDataset('mnist2', { dataSeed: 11, perClass: 6 });
  const b = await loadDataset('mnist2', { dataSeed: 11, perClass: 6 });
  const c = await loadDataset('mnist2', { dataSeed: 12, perClass: 6 });
  const e = await loadDataset('mnist2', { dataSeed: 11, perClass: 8 });
  assert.equal(await digest(a), await digest(b));
  assert.notDeepEqual(a.train.classes, c.train.classes);
  assert.deepEqual(a.train.classes, e.train.classes);
  assert.equal(e.train.size, 50 * 8);
});

test('mnist3: 1,000 classes, 12 images each by default, class-disjoint, built fast', async (t) => {
  const t0 = performance.now();
  const d = await loadMultiDigit(3, 'mnist3', { dataSeed: 1 });
  const ms = performance.now() - t0;
  t.diagnostic(`mnist3 built in ${ms.toFixed(0)} ms`);
  await checkMultiDigit(d, 3, 12);
  const img = await d.test.loadImages([d.test.size - 1]);
  assert.equal(img.length, 28 * 84);
  assert.ok(ms < 5000, `mnist3 took ${ms} ms`);
});
