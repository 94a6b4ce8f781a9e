import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageFileProblem } from '../../src/data/image-check.js';
import { loadDataset } from '../../src/data/registry.js';
import { UserError } from '../../src/errors.js';
import { dataMessages } from '../../src/messages/data.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { put, sampleJpegs, writeFolder, writeLists } from './image-fixtures.js';

const OPTS = { dataSeed: 1, image: { size: 16 } };
const NOT_AN_IMAGE = `not an image: its first bytes are no JPEG, PNG, GIF, WebP, TIFF, AVIF signature`;
const TRUNCATED_PNG = 'a truncated PNG: it does not end with the IEND chunk';

async function samplePng(): Promise<Buffer> {
  return sharp(Buffer.alloc(20 * 20 * 3, 90), { raw: { width: 20, height: 20, channels: 3 } }).png().toBuffer();
}

test('imageFileProblem tells images from files that are none or are cut short, from a few bytes', async (t) => {
  const dir = tempDir(t);
  const [jpeg] = await sampleJpegs(1);
  const png = await samplePng();
  const files: Record<string, Buffer | string> = {
    'a.jpg': jpeg, 'b.png': png, 'fake.png': 'hello, I am text', 'cut.png': png.subarray(0, png.length - 20), 'empty.jpg': '',
  };
  for (const [name, bytes] of Object.entries(files)) put(join(dir, name), bytes);
  assert.equal(imageFileProblem(join(dir, 'a.jpg')), null);
  assert.equal(imageFileProblem(join(dir, 'b.png')), null);
  assert.equal(imageFileProblem(join(dir, 'fake.png')), NOT_AN_IMAGE);
  assert.equal(imageFileProblem(join(dir, 'cut.png')), TRUNCATED_PNG);
  assert.equal(imageFileProblem(join(dir, 'empty.jpg')), 'an empty file');
  assert.equal(imageFileProblem('/etc/passwd'), NOT_AN_IMAGE);
  assert.equal(imageFileProblem(dir), 'a folder, not a file');
  // What the cheap check passes, sharp decodes; what it refuses, sharp refuses too.
  await sharp(join(dir, 'b.png')).raw().toBuffer();
  await assert.rejects(sharp(join(dir, 'cut.png'), { failOn: 'error' }).raw().toBuffer());
});

test('a dataset with a bad image is refused when it loads, naming the first and counting them', async (t) => {
  const jpegs = await sampleJpegs();
  const root = tempDir(t);
  const { train, test: testList } = writeLists(root, jpegs);
  writeFileSync(train, `/etc/passwd 0\n${readFileSync(train, 'utf8')}`);
  await assert.rejects(loadDataset(`list:${train},${testList}`, OPTS), new UserError(dataMessages.imagesUndecodable(1, 13, '/etc/passwd', NOT_AN_IMAGE)));

  const folder = tempDir(t);
  writeFolder(folder, jpegs, 2, 2);
  put(join(folder, 'class_1', '0.png'), 'not a png at all');
  put(join(folder, 'class_1', '9.png'), (await samplePng()).subarray(0, 60));
  await assert.rejects(loadDataset(`folder:${folder}`, OPTS), new UserError(dataMessages.imagesUndecodable(2, 6, join(folder, 'class_1', '0.png'), NOT_AN_IMAGE)));
  put(join(folder, 'class_1', '0.png'), await samplePng());
  await assert.rejects(loadDataset(`folder:${folder}`, OPTS), new UserError(dataMessages.imagesUndecodable(1, 6, join(folder, 'class_1', '9.png'), TRUNCATED_PNG)));
});

test('train on a list with a bad image: one line, exit 2, and no run folder', async (t) => {
  const root = tempDir(t);
  const { train, test: testList } = writeLists(root, await sampleJpegs());
  put(join(root, 'imgs', '1', '2.jpg'), 'this is no jpeg');
  const out = join(root, 'run');
  const r = await runCli([
    'train', '--dataset', `list:${train},${testList}`, '--image-size', '16', '--backend', 'cpu', '--model', 'cnn', '--channels', '4', '--dim', '4',
    '--classes-per-batch', '2', '--per-class', '2', '--iterations', '6', '--probe-size', '4', '--snapshot-every', '0', '--eval-every', '0', '--quiet', '--out', out,
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), `xbm-drift: ${dataMessages.imagesUndecodable(1, 12, join(root, 'imgs', '1', '2.jpg'), NOT_AN_IMAGE)}`);
  assert.ok(!existsSync(out), 'no run folder');
});
