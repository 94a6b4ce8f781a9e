import type SharpType from 'sharp';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';

/** An RGB image, 3 bytes per pixel, row-major. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface ImageStoreOptions {
  /** the shorter side every image is resized to on decode; 0 keeps the full resolution */
  side: number;
  /** LRU budget of decoded images in bytes; 0: no cache (prefetched images wait until read once) */
  cacheBytes: number;
  /** decodes in flight at once; each runs single-threaded on libuv's pool (UV_THREADPOOL_SIZE, default 4) */
  threads: number;
}

/** Prefetched images kept without a cache, at most this many (a batch or two). */
const MAX_UNCACHED_READY = 4096;

let sharpModule: Promise<typeof SharpType> | null = null;

/**
 * sharp, loaded on first use: the digit datasets and the rest of the CLI never need its native
 * binary, so a platform without one only fails when an image dataset is decoded, with a clear message.
 */
export function loadSharp(): Promise<typeof SharpType> {
  sharpModule ??= import('sharp').then(
    (m) => {
      const sharp = m.default;
      // one libvips thread per image: parallelism comes from several decodes in flight
      sharp.concurrency(1);
      sharp.cache(false);
      return sharp;
    },
    (e) => {
      sharpModule = null;
      throw new UserError(dataMessages.sharpMissing(e instanceof Error ? e.message.split('\n')[0] : String(e)));
    },
  );
  return sharpModule;
}

/**
 * Decodes image files with sharp into RGB bytes whose shorter side is `side`, once per image while
 * the cache holds it. Decoding runs off the JS thread (libuv), `threads` at a time, so a prefetch
 * of the next batch overlaps the current training step. Every transform (centre crop, random
 * resized crop, flip, normalisation) starts from these bytes.
 */
export class ImageStore {
  private readonly cache = new Map<number, DecodedImage>(); // insertion order = LRU order
  private cachedBytes = 0;
  private readonly inFlight = new Map<number, Promise<DecodedImage>>();
  private readonly ready = new Map<number, DecodedImage>(); // prefetched, no cache
  private readonly queue: (() => void)[] = [];
  private active = 0;
  /** counters for benchmarks and tests */
  readonly stats = { decoded: 0, cacheHits: 0 };

  constructor(readonly paths: readonly string[], readonly opts: ImageStoreOptions) {}

  get size(): number {
    return this.paths.length;
  }

  /** The decoded image `i` (from the cache, a prefetch in flight, or a new decode). */
  async get(i: number): Promise<DecodedImage> {
    const hit = this.cache.get(i);
    if (hit) {
      this.cache.delete(i);
      this.cache.set(i, hit);
      this.stats.cacheHits++;
      return hit;
    }
    const r = this.ready.get(i);
    if (r) {
      this.ready.delete(i);
      this.stats.cacheHits++;
      return r;
    }
    const running = this.inFlight.get(i);
    if (running) {
      const img = await running;
      this.ready.delete(i); // a prefetch in flight is consumed by this read
      return img;
    }
    return this.start(i);
  }

  /** Start decoding these images (errors surface when they are read). */
  prefetch(ids: Iterable<number>): void {
    for (const i of ids) {
      if (this.cache.has(i) || this.ready.has(i) || this.inFlight.has(i)) continue;
      this.start(i, true).catch(() => undefined);
    }
  }

  /** Drop every decoded image (benchmarks use it to measure cold decoding). */
  clear(): void {
    this.cache.clear();
    this.ready.clear();
    this.cachedBytes = 0;
  }

  private start(i: number, keep = false): Promise<DecodedImage> {
    const running = this.inFlight.get(i);
    if (running) return running;
    const p = this.limited(() => decodeImage(this.paths[i], this.opts.side)).then(
      (img) => {
        this.inFlight.delete(i);
        this.stats.decoded++;
        this.remember(i, img, keep);
        return img;
      },
      (e) => {
        this.inFlight.delete(i);
        throw e;
      },
    );
    this.inFlight.set(i, p);
    return p;
  }

  private remember(i: number, img: DecodedImage, prefetched: boolean): void {
    const bytes = img.data.byteLength;
    if (this.opts.cacheBytes >= bytes) {
      this.cache.set(i, img);
      this.cachedBytes += bytes;
      for (const [k, v] of this.cache) {
        if (this.cachedBytes <= this.opts.cacheBytes) break;
        this.cache.delete(k);
        this.cachedBytes -= v.data.byteLength;
      }
    } else if (prefetched) {
      this.ready.set(i, img);
      if (this.ready.size > MAX_UNCACHED_READY) this.ready.delete(this.ready.keys().next().value!);
    }
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    // a finishing task hands its slot straight to the next waiter, so at most `threads` run
    if (this.active >= this.opts.threads) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Decode one file to RGB bytes, shorter side resized to `side` (bilinear, aspect kept; 0: as stored). */
export async function decodeImage(path: string, side: number): Promise<DecodedImage> {
  const sharp = await loadSharp();
  try {
    let img = sharp(path, { failOn: 'error' }).toColourspace('srgb').removeAlpha();
    if (side > 0) img = img.resize(side, side, { fit: 'outside', kernel: 'linear' });
    const { data, info } = await img
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to RGB`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new UserError(dataMessages.imageUnreadable(path, e instanceof Error ? e.message : String(e)));
  }
}
