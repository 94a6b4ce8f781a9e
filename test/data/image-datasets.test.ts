import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { UserError } from '../../src/errors.js';
import { loadDataset } from '../../src/data/registry.js';
import type { Dataset, DatasetOptions } from '../../src/data/types.js';
import { dataMessages } from '../../src/messages/data.js';
import { tempDir } from '../helpers/tmp.js';
import { put, sampleJpegs, writeCars, writeCub, writeFolder, writeInShop, writeLists, writeSop, writeVehicleId } from './image-fixtures.js';

const OPTS: DatasetOptions = { dataSeed: 1, image: { size: 16 } };
let jpegs: Buffer[];
before(async () => {
  jpegs = await sampleJpegs();
});

const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const classCount = (d: Dataset) => [d.train.classes.length, d.train.size, d.test.classes.length, d.test.size];

async function rejectsWith(p: Promise<unknown>, text: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `a UserError, not ${String(e)}`);
    if (typeof text === 'string') assert.ok(e.message.includes(text), `"${e.message}" names ${text}`);
    else assert.match(e.message, text);
    return true;
  });
}

test('cub200: classes 1-100 train, 101-200 test; decoded images have the requested shape', async (t) => {
  const root = tempDir(t);
  writeCub(root, jpegs, 2);
  const d = await loadDataset(`cub200:${root}`, OPTS);
  assert.deepEqual(classCount(d), [100, 200, 100, 200]);
  assert.deepEqual([d.train.classes[0], d.train.classes.at(-1), d.test.classes[0], d.test.classes.at(-1)], [1, 100, 101, 200]);
  assert.deepEqual(d.imageShape, [16, 16, 3]);
  assert.equal(d.evaluation, undefined);
  const px = await d.test.loadImages([0, 5, 199]);
  assert.equal(px.length, 3 * 16 * 16 * 3);
  assert.ok(px.every(Number.isFinite));
});

test('cub200: the image and label lists must match; a missing list or image is named', async (t) => {
  const root = tempDir(t);
  writeCub(root, jpegs, 1);
  const labels = join(root, 'image_class_labels.txt');
  const full = readFileSync(labels, 'utf8');
  writeFileSync(labels, full.split('\n').filter((l) => l !== '7 7').join('\n'));
  await rejectsWith(loadDataset(`cub200:${root}`, OPTS), dataMessages.listIdMismatch(labels, join(root, 'images.txt'), '7'));
  writeFileSync(labels, full.replace(/^200 200$/m, '200 199'));
  await rejectsWith(loadDataset(`cub200:${root}`, OPTS), dataMessages.classCountMismatch(labels, 199, '200 (numbered 1-200)'));
  writeFileSync(labels, full);
  writeFileSync(labels, full.replace(/^3 3$/m, '3 three'));
  await rejectsWith(loadDataset(`cub200:${root}`, OPTS), `${labels} line 3`);
  writeFileSync(labels, full);
  rmSync(join(root, 'images', '005.Class_5'), { recursive: true });
  await rejectsWith(loadDataset(`cub200:${root}`, OPTS), /1 image\(s\) listed in .*images\.txt are missing, the first .*005\.Class_5/);
  rmSync(join(root, 'images.txt'));
  await rejectsWith(loadDataset(`cub200:${root}`, OPTS), `${join(root, 'images.txt')} is missing`);
  await rejectsWith(loadDataset(`cub200:${join(root, 'nope')}`, OPTS), `${join(root, 'nope')} does not exist`);
});

test('cars196: annotations from cars_annos.mat; classes 1-98 train, 99-196 test', async (t) => {
  const root = tempDir(t);
  writeCars(root, jpegs, 2);
  const d = await loadDataset(`cars196:${root}`, OPTS);
  assert.deepEqual(classCount(d), [98, 196, 98, 196]);
  assert.deepEqual([d.train.classes.at(-1), d.test.classes[0]], [98, 99]);
  assert.equal((await d.train.loadImages([0])).length, 16 * 16 * 3);
  const mat = join(root, 'cars_annos.mat');
  writeFileSync(mat, readFileSync(mat).subarray(0, 300));
  await rejectsWith(loadDataset(`cars196:${root}`, OPTS), `${mat} is not a MATLAB v5 file`);
  rmSync(mat);
  await rejectsWith(loadDataset(`cars196:${root}`, OPTS), `${mat} is missing`);
});

test('sop: the published train and test lists', async (t) => {
  const root = tempDir(t);
  writeSop(root, jpegs, 3, 2, 2);
  const d = await loadDataset(`sop:${root}`, OPTS);
  assert.deepEqual(classCount(d), [3, 6, 2, 4]);
  assert.deepEqual(d.test.classes, [4, 5]);
  const f = join(root, 'Ebay_test.txt');
  writeFileSync(f, readFileSync(f, 'utf8') + '99 7 1\n');
  await rejectsWith(loadDataset(`sop:${root}`, OPTS), `${f} line`);
});

test('inshop: train items; the test split is queries then gallery, scored query against gallery', async (t) => {
  const root = tempDir(t);
  const n = writeInShop(root, jpegs);
  const d = await loadDataset(`inshop:${root}`, OPTS);
  assert.deepEqual([d.train.classes.length, d.train.size], [3, n.train]);
  assert.equal(d.test.size, n.query + n.gallery);
  const ev = d.evaluation;
  assert.ok(ev && ev.kind === 'query-gallery');
  assert.deepEqual(Array.from(ev.queryIds), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(ev.galleryIds), [6, 7, 8, 9]);
  assert.deepEqual(Array.from(ev.queryIds, (i) => d.test.labels[i]), [4, 4, 5, 5, 6, 6]);
  assert.deepEqual(Array.from(ev.galleryIds, (i) => d.test.labels[i]), [4, 5, 6, 7]);
});

test('vehicleid: train list; three test sets pooled in the test split, each with its own ids', async (t) => {
  const root = tempDir(t);
  writeVehicleId(root, jpegs);
  const d = await loadDataset(`vehicleid:${root}`, OPTS);
  assert.deepEqual([d.train.classes.length, d.train.size], [4, 8]);
  assert.deepEqual([d.test.classes.length, d.test.size], [5, 10]);
  const ev = d.evaluation;
  assert.ok(ev && ev.kind === 'sets');
  assert.deepEqual(ev.sets.map((s) => s.name), ['test', 'test-1600', 'test-2400']);
  assert.deepEqual(ev.sets.map((s) => new Set(Array.from(s.ids, (i) => d.test.labels[i])).size), [2, 3, 5]);
  assert.deepEqual(ev.sets.map((s) => s.ids.length), [4, 6, 10]);
  rmSync(join(root, 'train_test_split', 'test_list_1600.txt'));
  await rejectsWith(loadDataset(`vehicleid:${root}`, OPTS), 'test_list_1600.txt is missing');
});

test('folder: a seeded class-disjoint half trains; non-image files are skipped', async (t) => {
  const root = tempDir(t);
  writeFolder(root, jpegs, 5, 2);
  const a = await loadDataset(`folder:${root}`, OPTS);
  assert.deepEqual(classCount(a), [3, 6, 2, 4]);
  assert.deepEqual([...a.train.classes, ...a.test.classes].sort(), [0, 1, 2, 3, 4]);
  const b = await loadDataset(`folder:${root}`, OPTS);
  assert.deepEqual(b.train.classes, a.train.classes);
  const splits = new Set<string>();
  for (let s = 1; s <= 6; s++) splits.add((await loadDataset(`folder:${root}`, { ...OPTS, dataSeed: s })).train.classes.join());
  assert.ok(splits.size > 1, 'the data seed changes the class split');
  const capped = await loadDataset(`folder:${root}`, { ...OPTS, perClass: 1 });
  assert.deepEqual([capped.train.size, capped.test.size], [3, 2]);
});

test('list: research-xbm "path label" lists, space or comma, paths relative to the list', async (t) => {
  const root = tempDir(t);
  const { train, test: testList } = writeLists(root, jpegs);
  const d = await loadDataset(`list:${train},${testList}`, OPTS);
  assert.deepEqual(classCount(d), [2, 6, 2, 6]);
  await d.train.loadImages(ids(6));
  await rejectsWith(loadDataset(`list:${train}`, OPTS), 'list: needs two files');
  writeFileSync(train, 'imgs/0/0.jpg\n');
  await rejectsWith(loadDataset(`list:${train},${testList}`, OPTS), `${train} line 1`);
});

test('an image broken past its header is a UserError naming the file, when it is decoded', async (t) => {
  const root = tempDir(t);
  writeFolder(root, jpegs, 2, 2);
  // A JPEG signature, then junk: the check when the dataset loads reads only the first bytes.
  put(join(root, 'class_1', '0.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('this is not a jpeg')]));
  const d = await loadDataset(`folder:${root}`, OPTS);
  const split = d.train.classes[0] === 1 ? d.train : d.test;
  await rejectsWith(split.loadImages([0]), `The image ${join(root, 'class_1', '0.jpg')} cannot be decoded`);
  split.prefetch!([0, 1]); // a failed prefetch is no unhandled rejection; the read reports it
  await new Promise((r) => setTimeout(r, 50));
  await rejectsWith(split.loadAugmented!([1, 0], 1), 'cannot be decoded');
  assert.equal((await split.loadImages([1])).length, 16 * 16 * 3, 'the other image still decodes');
});

test('augmentation: same seed and iteration give the same pixels, another seed or iteration others', async (t) => {
  const root = tempDir(t);
  writeSop(root, jpegs, 3, 2, 2);
  const load = (augmentSeed: number, cacheBytes?: number) => loadDataset(`sop:${root}`, { dataSeed: 1, image: { size: 16, augmentSeed, cacheBytes } });
  const a = await load(7);
  const b = await load(7, 0); // no cache: decoding again gives the same bytes
  const c = await load(8);
  const batch = [0, 1, 2, 3, 4, 5];
  const x = await a.train.loadAugmented!(batch, 3);
  assert.deepEqual(await a.train.loadAugmented!(batch, 3), x);
  assert.deepEqual(await b.train.loadAugmented!(batch, 3), x);
  assert.notDeepEqual(await c.train.loadAugmented!(batch, 3), x);
  assert.notDeepEqual(await a.train.loadAugmented!(batch, 4), x);
  assert.notDeepEqual(await a.train.loadImages(batch), x);
  assert.deepEqual(await a.train.loadImages(batch), await b.train.loadImages(batch), 'the test-time view is deterministic');
});

test('normalisation: ImageNet mean/std by default, none, explicit; grey images become RGB', async (t) => {
  const root = tempDir(t);
  const colour = await sharp({ create: { width: 20, height: 24, channels: 3, background: { r: 255, g: 0, b: 51 } } }).png().toBuffer();
  const grey = await sharp(Buffer.alloc(20 * 24, 102), { raw: { width: 20, height: 24, channels: 1 } }).png().toBuffer();
  put(join(root, 'a', 'x.png'), colour);
  put(join(root, 'b', 'x.png'), grey);
  put(join(root, 'train.txt'), 'a/x.png 0\nb/x.png 1\n');
  const spec = `list:${join(root, 'train.txt')},${join(root, 'train.txt')}`;
  const first = async (normalization?: NonNullable<DatasetOptions['image']>['normalization']) => {
    const d = await loadDataset(spec, { dataSeed: 1, image: { size: 8, normalization } });
    const px = await d.test.loadImages([0, 1]);
    return [Array.from(px.subarray(0, 3)), Array.from(px.subarray(8 * 8 * 3, 8 * 8 * 3 + 3))];
  };
  const close = (got: number[], want: number[]) => got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-5, `${got} ~ ${want}`));
  const [c, g] = await first();
  close(c, [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.2 - 0.406) / 0.225]);
  close(g, [(0.4 - 0.485) / 0.229, (0.4 - 0.456) / 0.224, (0.4 - 0.406) / 0.225]);
  close((await first('none'))[0], [1, 0, 0.2]);
  close((await first({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }))[0], [1, -1, -0.6]);
  await rejectsWith(first({ mean: [0, 0, 0], std: [1, 0, 1] }), 'Normalisation');
  await rejectsWith(loadDataset(spec, { dataSeed: 1, image: { size: 3 } }), 'Image size 3');
});

test('prefetch: a prefetched batch is decoded once and read from memory, with and without a cache', async (t) => {
  const root = tempDir(t);
  writeSop(root, jpegs, 3, 2, 2);
  for (const cacheBytes of [0, 1 << 20]) {
    const d = await loadDataset(`sop:${root}`, { dataSeed: 1, image: { size: 16, cacheBytes } });
    const store = (d.train as unknown as { store: { stats: { decoded: number; cacheHits: number } } }).store;
    d.train.prefetch!([0, 1, 2]);
    await d.train.loadAugmented!([0, 1, 2], 0);
    assert.equal(store.stats.decoded, 3);
    await d.train.loadImages([0, 1, 2]);
    assert.equal(store.stats.decoded, cacheBytes === 0 ? 6 : 3, `cacheBytes ${cacheBytes}`);
  }
});

test('test view = resize shorter side to size*256/224, centre crop; decodeSide 0 (full resolution) gives nearly the same view', async (t) => {
  const root = tempDir(t);
  writeSop(root, jpegs, 3, 2, 1);
  const d = await loadDataset(`sop:${root}`, { dataSeed: 1, image: { size: 16, normalization: 'none' } });
  const file = join(root, 'bicycle_final/1_0.JPG');
  // 40x30 -> shorter side 18 (16 * 256 / 224): 24x18, centre 16x16 at (4, 1)
  const ref = await sharp(file).toColourspace('srgb').resize(18, 18, { fit: 'outside', kernel: 'linear' }).extract({ left: 4, top: 1, width: 16, height: 16 }).raw().toBuffer();
  const got = await d.train.loadImages([0]);
  assert.deepEqual(Array.from(got, (v) => Math.round(v * 255)), Array.from(ref));
  const full = await loadDataset(`sop:${root}`, { dataSeed: 1, image: { size: 16, normalization: 'none', decodeSide: 0 } });
  const alt = await full.train.loadImages([0]);
  const meanAbs = alt.reduce((s, v, i) => s + Math.abs(v - got[i]), 0) / alt.length;
  assert.ok(meanAbs < 0.05, `mean |difference| ${meanAbs}`);
  assert.deepEqual(await full.train.loadAugmented!([0, 1], 2), await full.train.loadAugmented!([0, 1], 2));
  await rejectsWith(loadDataset(`sop:${root}`, { dataSeed: 1, image: { size: 16, decodeSide: 10 } }), 'decodeSide 10');
});
