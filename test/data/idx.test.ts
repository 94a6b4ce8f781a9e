import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../src/errors.js';
import { dataMessages } from '../../src/messages/data.js';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx-format.js';
import { loadDataset } from '../../src/data/registry.js';
import type { Dataset, Split } from '../../src/data/types.js';
import { tempDir } from '../helpers/tmp.js';
import { TINY_TEST, TINY_TRAIN, tinyPixels, writeTinySet } from './idx-fixture.js';

const userError = (message: string) => (e: unknown) => {
  assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

/** Every sample's pixels must be one source image (pixel 0 = g*16), with that image's label. */
async function assertSamplesMatchSource(split: Split, labels: number[], pixels: Uint8Array, perImage: number) {
  const images = await split.loadImages(Int32Array.from(split.labels.keys()));
  const seen = new Set<number>();
  for (let i = 0; i < split.size; i++) {
    const g = Math.round(images[i * perImage] * 255) / 16;
    assert.ok(Number.isInteger(g) && g < labels.length, `sample ${i} decodes to image ${g}`);
    assert.equal(split.labels[i], labels[g], `label of sample ${i}`);
    for (let j = 0; j < perImage; j++) assert.equal(images[i * perImage + j], Math.fround(pixels[g * perImage + j] / 255));
    assert.ok(!seen.has(g), `image ${g} appears twice`);
    seen.add(g);
  }
  return seen;
}

function assertClassDisjoint(d: Dataset) {
  const train = new Set(d.train.labels);
  for (const c of d.test.labels) assert.ok(!train.has(c), `class ${c} is in both splits`);
  assert.deepEqual([...d.train.classes], [...train].sort((a, b) => a - b));
}

test('parseIdx reads dims and bytes; readIdx reads plain and gzipped files alike', async (t) => {
  const dir = tempDir(t);
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const bytes = encodeIdx([2, 3, 4], data);
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 2]);
  const parsed = parseIdx(bytes, 'x');
  assert.deepEqual(parsed.dims, [2, 3, 4]);
  assert.deepEqual([...parsed.data], [...data]);
  writeFileSync(join(dir, 'a'), bytes);
  writeFileSync(join(dir, 'a.gz'), gzipSync(bytes));
  for (const f of ['a', 'a.gz']) {
    const r = await readIdx(join(dir, f));
    assert.deepEqual(r.dims, [2, 3, 4]);
    assert.deepEqual([...r.data], [...data]);
  }
});

test('a corrupt IDX header is a UserError naming the file', async (t) => {
  const good = encodeIdx([2, 2], Uint8Array.of(1, 2, 3, 4));
  const cases: [Uint8Array, string][] = [
    [Uint8Array.of(0, 0), '2 bytes, shorter than the 4-byte header'],
    [Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0), 'the magic number does not start with two zero bytes'],
    [Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 0), 'data type 0x0d is not unsigned byte 0x08'],
    [Uint8Array.of(0, 0, 8, 0), '0 dimensions, expected 1 to 4'],
    [Uint8Array.of(0, 0, 8, 3, 0, 0), '6 bytes, shorter than its 16-byte header'],
    [good.subarray(0, good.length - 1), 'the header promises 2x2 = 4 bytes of data, the file has 3'],
  ];
  for (const [bytes, detail] of cases) {
    assert.throws(() => parseIdx(bytes, '/d/f-idx3-ubyte'), userError(dataMessages.idxCorrupt('/d/f-idx3-ubyte', detail)));
  }
  const dir = tempDir(t);
  const gz = gzipSync(good);
  writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, gz.length - 6));
  await assert.rejects(readIdx(join(dir, 'cut.gz')), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.ok(e.message.startsWith(`${join(dir, 'cut.gz')} is not a valid IDX file (broken gzip data`), e.message);
    return true;
  });
});

test('idx:<folder> pools train and t10k, splits classes disjointly, keeps pixels and labels', async (t) => {
  const dir = tempDir(t);
  writeTinySet(dir, TINY_TRAIN);
  writeTinySet(dir, TINY_TEST, { set: 't10k', offset: TINY_TRAIN.labels.length });
  const d = await loadDataset(`idx:${dir}`, { dataSeed: 3 });
  assert.equal(d.spec, `idx:${dir}`);
  assert.deepEqual(d.imageShape, [2, 3, 1]);
  assert.equal(d.train.classes.length, 2);
  assert.equal(d.test.classes.length, 2);
  assertClassDisjoint(d);
  assert.equal(d.train.size + d.test.size, 16);
  assert.ok(!d.description.includes('\n') && d.description.includes('pooled'), d.description);
  const labels = [...TINY_TRAIN.labels, ...TINY_TEST.labels];
  const pixels = Uint8Array.from([...tinyPixels(TINY_TRAIN), ...tinyPixels(TINY_TEST, TINY_TRAIN.labels.length)]);
  const a = await assertSamplesMatchSource(d.train, labels, pixels, 6);
  const b = await assertSamplesMatchSource(d.test, labels, pixels, 6);
  assert.equal(new Set([...a, ...b]).size, 16, 'every image lands in exactly one split');
});

test('label 0 is an ordinary class in every position of the split', async (t) => {
  const dir = tempDir(t);
  writeTinySet(dir, TINY_TRAIN);
  let sawZeroInTrain = false;
  let sawZeroInTest = false;
  for (let seed = 0; seed < 12; seed++) {
    const d = await loadDataset(`idx:${dir}`, { dataSeed: seed });
    const where = d.train.classes.includes(0) ? d.train : d.test;
    if (where === d.train) sawZeroInTrain = true;
    else sawZeroInTest = true;
    assert.equal(where.labels.filter((l) => l === 0).length, 3, 'all three images of class 0 are kept');
    assert.equal(d.train.classes.length + d.test.classes.length, 4);
  }
  assert.ok(sawZeroInTrain && sawZeroInTest, 'class 0 goes to either split depending on the seed');
});

test('gzipped and dotted file names, train only; the split follows dataSeed', async (t) => {
  const dir = tempDir(t);
  const names = writeTinySet(dir, TINY_TRAIN, { gz: true, dotted: true });
  assert.equal(names.images, 'train-images.idx3-ubyte.gz');
  const a = await loadDataset(`idx:${dir}`, { dataSeed: 1 });
  const again = await loadDataset(`idx:${dir}`, { dataSeed: 1 });
  assert.equal(a.train.size + a.test.size, 12);
  assert.deepEqual([...again.train.labels], [...a.train.labels]);
  assert.deepEqual(await again.test.loadImages([0, 1]), await a.test.loadImages([0, 1]));
  const splits = new Set<string>();
  for (let seed = 0; seed < 10; seed++) splits.add((await loadDataset(`idx:${dir}`, { dataSeed: seed })).train.classes.join());
  assert.ok(splits.size > 1, 'different seeds give different class splits');
});

test('prefixed (EMNIST-style) names, test set, and 3-channel 4-D images', async (t) => {
  const dir = tempDir(t);
  const rgb = { ...TINY_TRAIN, c: 3 };
  writeTinySet(dir, rgb, { prefix: 'emnist-x-', gz: true });
  writeTinySet(dir, { ...TINY_TEST, c: 3 }, { prefix: 'emnist-x-', set: 'test', offset: 12 });
  const d = await loadDataset(`idx:${dir}`, { dataSeed: 5 });
  assert.deepEqual(d.imageShape, [2, 3, 3]);
  assert.equal(d.train.size + d.test.size, 16);
  const labels = [...TINY_TRAIN.labels, ...TINY_TEST.labels];
  const pixels = Uint8Array.from([...tinyPixels(rgb), ...tinyPixels({ ...TINY_TEST, c: 3 }, 12)]);
  await assertSamplesMatchSource(d.train, labels, pixels, 18);
  assertClassDisjoint(d);
});

test('perClass caps each class; a perClass too large names the maximum', async (t) => {
  const dir = tempDir(t);
  writeTinySet(dir, TINY_TRAIN);
  writeTinySet(dir, { labels: [0, 1, 2], h: 2, w: 3, c: 1 }, { set: 't10k', offset: 12 });
  const d = await loadDataset(`idx:${dir}`, { dataSeed: 2, perClass: 2 });
  for (const s of [d.train, d.test]) for (const c of s.classes) assert.equal(s.labels.filter((l) => l === c).length, 2);
  assert.ok(d.description.includes('at most 2 per class'));
  // class 3 has no t10k image, so it limits perClass to 3
  await assert.rejects(
    loadDataset(`idx:${dir}`, { dataSeed: 2, perClass: 4 }),
    userError(dataMessages.perClassTooLarge(`idx:${dir}`, 4, 3, 3)),
  );
  await assert.rejects(loadDataset(`idx:${dir}`, { dataSeed: 2, perClass: 0 }), userError(dataMessages.perClassInvalid(0)));
  await assert.rejects(loadDataset(`idx:${dir}`, { dataSeed: -1 }), userError(dataMessages.dataSeedInvalid(-1)));
});

test('bad folders and files are one-line UserErrors with the texts of dataMessages', async (t) => {
  const root = tempDir(t);
  const opts = { dataSeed: 1 };
  await assert.rejects(loadDataset('idx:', opts), userError(dataMessages.idxFolderEmpty()));
  const missing = join(root, 'nope');
  await assert.rejects(loadDataset(`idx:${missing}`, opts), userError(dataMessages.idxFolderMissing(missing)));

  const empty = join(root, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'readme.txt'), 'x');
  await assert.rejects(loadDataset(`idx:${empty}`, opts), userError(dataMessages.idxFilesMissing(empty)));

  const noLabels = join(root, 'no-labels');
  mkdirSync(noLabels);
  writeFileSync(join(noLabels, 'train-images-idx3-ubyte'), encodeIdx([1, 2, 2], new Uint8Array(4)));
  await assert.rejects(
    loadDataset(`idx:${noLabels}`, opts),
    userError(dataMessages.idxLabelsMissing(noLabels, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte')),
  );

  const corrupt = join(root, 'corrupt');
  mkdirSync(corrupt);
  writeTinySet(corrupt, TINY_TRAIN);
  const bad = join(corrupt, 'train-images-idx3-ubyte');
  writeFileSync(bad, readFileSync(bad).subarray(0, 30));
  await assert.rejects(
    loadDataset(`idx:${corrupt}`, opts),
    userError(dataMessages.idxCorrupt(bad, 'the header promises 12x2x3 = 72 bytes of data, the file has 14')),
  );

  const counts = join(root, 'counts');
  mkdirSync(counts);
  writeTinySet(counts, TINY_TRAIN);
  writeFileSync(join(counts, 'train-labels-idx1-ubyte'), encodeIdx([5], new Uint8Array(5)));
  await assert.rejects(
    loadDataset(`idx:${counts}`, opts),
    userError(dataMessages.idxCountMismatch(join(counts, 'train-images-idx3-ubyte'), 12, join(counts, 'train-labels-idx1-ubyte'), 5)),
  );

  const shapes = join(root, 'shapes');
  mkdirSync(shapes);
  writeTinySet(shapes, TINY_TRAIN);
  writeTinySet(shapes, { ...TINY_TEST, w: 4 }, { set: 't10k' });
  await assert.rejects(
    loadDataset(`idx:${shapes}`, opts),
    userError(dataMessages.idxShapeMismatch(join(shapes, 't10k-images-idx3-ubyte'), '2x4x1', join(shapes, 'train-images-idx3-ubyte'), '2x3x1')),
  );

  const two = join(root, 'two');
  mkdirSync(two);
  writeTinySet(two, TINY_TRAIN, { prefix: 'a-' });
  writeTinySet(two, TINY_TRAIN, { prefix: 'b-' });
  await assert.rejects(
    loadDataset(`idx:${two}`, opts),
    userError(dataMessages.idxAmbiguous(two, ['a-train-images-idx3-ubyte', 'b-train-images-idx3-ubyte'])),
  );

  const four = join(root, 'four');
  mkdirSync(four);
  writeTinySet(four, { ...TINY_TRAIN, c: 4 });
  await assert.rejects(loadDataset(`idx:${four}`, opts), userError(dataMessages.idxChannels(join(four, 'train-images-idx4-ubyte'), 4)));

  const one = join(root, 'one');
  mkdirSync(one);
  writeTinySet(one, { labels: [7, 7], h: 1, w: 1, c: 1 });
  await assert.rejects(loadDataset(`idx:${one}`, opts), userError(dataMessages.tooFewClasses(`idx:${one}`, 1)));

});

test('a plain and a .gz copy of the same set are not ambiguous', async (t) => {
  const dir = tempDir(t);
  writeTinySet(dir, TINY_TRAIN);
  writeTinySet(dir, TINY_TRAIN, { gz: true });
  const d = await loadDataset(`idx:${dir}`, { dataSeed: 1 });
  assert.equal(d.train.size + d.test.size, 12);
});

test('every data message is one line that names the problem, then the fix', () => {
  const m = dataMessages;
  const texts = [
    m.unknownDataset('x', ['mnist', 'idx:<folder>']), m.dataSeedInvalid(-1), m.perClassInvalid(0),
    m.perClassTooLarge('mnist', 900, 892, 5), m.tooFewClasses('d', 1), m.mnistPackageMissing('e'),
    m.mnistFileMissing('f'), m.idxFolderEmpty(), m.idxFolderMissing('f'), m.idxFilesMissing('f'),
    m.idxLabelsMissing('f', 'a', 'b'), m.idxAmbiguous('f', ['a', 'b']), m.idxCorrupt('f', 'd'),
    m.idxCountMismatch('a', 1, 'b', 2), m.idxShapeMismatch('a', '1', 'b', '2'), m.idxChannels('f', 4),
    m.samplerNotPositive('k', 0), m.samplerTooManyClasses(5, 4), m.samplerBatchTooLarge(5, 4), m.samplerEmpty(),
    m.samplerStateMismatch('d'), m.probeSizeInvalid(0), m.probeTooLarge(5, 4),
    m.datasetRootEmpty('cub200', '/d'), m.datasetRootMissing('cub200', '/d'), m.datasetFileMissing('cub200', 'f', 'h'),
    m.listLineInvalid('f', 1, 't', 'e'), m.listEmpty('f'), m.listIdMismatch('f', 'g', '1'), m.listDuplicateId('f', '1'),
    m.classCountMismatch('f', 3, '200'), m.imagesMissing('f', 2, 'a.jpg'), m.imagesUndecodable(1, 3, 'a.jpg', 'd'), m.imageUnreadable('a.jpg', 'd'),
    m.matInvalid('f', 'd'), m.matFieldMissing('f', 'x'), m.folderNoClasses('f', 1), m.listSpecInvalid('a'),
    m.imageSizeInvalid(3), m.normalizationInvalid('x'), m.imageOptionInvalid('decodeThreads', 0), m.decodeSideInvalid(10, 18),
    m.sharpMissing('d'),
  ];
  assert.equal(texts.length, Object.keys(m).length, 'every message is listed here');
  for (const text of texts) assert.match(text, /^[^\n]+: [^\n]+\.$/, text);
});
