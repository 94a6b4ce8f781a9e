/**
 * Image decoding against the training step it feeds: can sharp keep up at 224 x 224?
 *
 * Writes a small JPEG dataset (CUB-like 500 x 375 photos of smooth noise) to a temporary folder,
 * reads it through the `list:` reader, and prints
 *  1. decode throughput (images/s, ms per batch of 32) of the training view (random resized crop +
 *     flip + normalisation) and the test view (resize + centre crop), with and without the
 *     decoded-image cache, with 1 and 2 decodes in flight;
 *  2. ms per training step at batch 32 (default CNN, contrastive loss) on pre-decoded pixels;
 *  3. ms per iteration when each batch is decoded from disk, without and with prefetch of the
 *     next batch during the step (no cache, so every image is decoded).
 * The load average is printed before and after: on a shared 2-core machine compare only runs
 * made at similar load.
 *
 *   node --import tsx scripts/bench-decode.ts [--images 192] [--size 224] [--steps 4] [--backend wasm] [--threads 2]
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { flag, median } from './bench-utils.js';

const nImages = Number(flag('images', '192'));
const size = Number(flag('size', '224'));
const steps = Number(flag('steps', '4'));
const backend = flag('backend', 'wasm') as 'wasm' | 'cpu';
const threads = Number(flag('threads', '2'));
const BATCH = 32;

const fmtLoad = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function writeDataset(dir: string): Promise<string> {
  const w = 500;
  const h = 375;
  const lines: string[] = [];
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < nImages; i++) {
    // smooth structure plus noise: JPEG sizes like real photos (~40-60 KB), not flat colour
    const raw = Buffer.alloc(w * h * 3);
    const fx = 0.01 + rand() * 0.05;
    const fy = 0.01 + rand() * 0.05;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const base = 128 + 80 * Math.sin(x * fx + i) * Math.cos(y * fy);
        raw[o] = Math.max(0, Math.min(255, base + rand() * 40));
        raw[o + 1] = Math.max(0, Math.min(255, 255 - base + rand() * 40));
        raw[o + 2] = Math.max(0, Math.min(255, (x + y + i * 7) % 256));
      }
    }
    const rel = `img/${i % 16}/${i}.jpg`;
    mkdirSync(join(dir, 'img', String(i % 16)), { recursive: true });
    writeFileSync(join(dir, rel), await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
    lines.push(`${rel} ${i % 16}`);
  }
  writeFileSync(join(dir, 'list.txt'), lines.join('\n') + '\n');
  return join(dir, 'list.txt');
}

async function main(): Promise<void> {
  const before = fmtLoad();
  const dir = mkdtempSync(join(tmpdir(), 'xbm-bench-decode-'));
  try {
    const list = await writeDataset(dir);
    const { loadDataset } = await import('../src/data/registry.js');
    const spec = `list:${list},${list}`;
    const batches = (n: number) => Array.from({ length: Math.floor(n / BATCH) }, (_, b) => Int32Array.from({ length: BATCH }, (_, i) => b * BATCH + i));

    type Row = { view: string; cache: string; inFlight: number; imagesPerS: number; msPerBatch: number };
    const rows: Row[] = [];
    for (const inFlight of [1, 2]) {
      for (const cached of [false, true]) {
        const d = await loadDataset(spec, { dataSeed: 1, image: { size, cacheBytes: cached ? 2 ** 30 : 0, decodeThreads: inFlight } });
        for (const view of ['train (crop+flip)', 'test (centre crop)'] as const) {
          const load = (ids: Int32Array, it: number) => (view.startsWith('train') ? d.train.loadAugmented!(ids, it) : d.train.loadImages(ids));
          if (cached) for (const ids of batches(nImages)) await load(ids, 0); // fill the cache
          const t0 = performance.now();
          let n = 0;
          for (const ids of batches(nImages)) {
            await load(ids, 1);
            n += ids.length;
          }
          const ms = performance.now() - t0;
          rows.push({ view, cache: cached ? 'warm' : 'off', inFlight, imagesPerS: (n / ms) * 1000, msPerBatch: (ms / n) * BATCH });
        }
      }
    }

    // the training step it has to keep up with
    const { initBackend } = await import('../src/backend/init-backend.js');
    const { tf } = await import('../src/backend/tf.js');
    const { createEmbedder } = await import('../src/model/embedder.js');
    const { createLoss } = await import('../src/losses/create-loss.js');
    const { trainStep } = await import('../src/train/step.js');
    const { Rng } = await import('../src/random.js');
    const info = await initBackend({ backend, threads });
    const d = await loadDataset(spec, { dataSeed: 1, image: { size, cacheBytes: 0, decodeThreads: 2 } });
    const model = createEmbedder({ kind: 'cnn', channels: [32, 64, 128], dim: 64 }, d.imageShape, new Rng(1));
    const optimizer = tf.train.adam(1e-5);
    const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
    const all = batches(nImages);
    const labelsOf = (ids: Int32Array) => Int32Array.from(ids, (i) => d.train.labels[i]);
    const step = (pixels: Float32Array, ids: Int32Array, it: number) =>
      trainStep(model, loss, optimizer, null, { pixels, labels: labelsOf(ids), sampleIds: ids, iteration: it }, {
        enqueue: false, memoryLoss: false, weight: 1, keepEmbeddings: false,
      });
    const ready = await d.train.loadAugmented!(all[0], 0);
    step(ready, all[0], 0); // kernels compile on the first step
    const stepMs: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      step(ready, all[0], s + 1);
      stepMs.push(performance.now() - t0);
    }
    const loop = async (prefetch: boolean) => {
      const ms: number[] = [];
      let next = d.train.loadAugmented!(all[0], 100);
      for (let s = 0; s < steps; s++) {
        const t0 = performance.now();
        const ids = all[(s + 1) % all.length];
        const pixels = await next;
        if (prefetch) next = d.train.loadAugmented!(all[(s + 1) % all.length], 101 + s); // decodes during the step
        step(pixels, ids, s + 1);
        if (!prefetch) next = d.train.loadAugmented!(all[(s + 1) % all.length], 101 + s);
        if (!prefetch) await next;
        ms.push(performance.now() - t0);
      }
      await next;
      return median(ms);
    };
    const sequential = await loop(false);
    const overlapped = await loop(true);
    optimizer.dispose();

    const after = fmtLoad();
    console.log(`\nImage decoding vs training step: ${nImages} JPEGs 500x375 (q90), input ${size}x${size}x3, batch ${BATCH}, ${cpus().length} cores, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
    console.log(`load average before: ${before}\n`);
    console.log('| view | cache | decodes in flight | images/s | ms per batch of 32 |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.view} | ${r.cache} | ${r.inFlight} | ${r.imagesPerS.toFixed(0)} | ${r.msPerBatch.toFixed(1)} |`);
    console.log(`\n| training step, batch ${BATCH}, default CNN 32-64-128, ${info.name} ${threads} threads | ms |`);
    console.log('|---|---|');
    console.log(`| step on ready pixels (median of ${steps}) | ${median(stepMs).toFixed(0)} |`);
    console.log(`| decode (no cache) then step, per iteration | ${sequential.toFixed(0)} |`);
    console.log(`| step while the next batch is prefetched, per iteration | ${overlapped.toFixed(0)} |`);
    console.log(`\nload average after: ${after}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
