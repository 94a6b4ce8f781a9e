import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx-format.js';

/** A tiny IDX dataset whose pixels identify their image: pixel j of global image g is g*16 + j. */
export interface TinySet {
  labels: number[];
  h: number;
  w: number;
  c: number;
}

export function tinyPixels(set: TinySet, offset = 0): Uint8Array {
  const p = set.h * set.w * set.c;
  return Uint8Array.from({ length: set.labels.length * p }, (_, k) => ((Math.floor(k / p) + offset) * 16 + (k % p)) % 256);
}

export interface WriteOptions {
  gz?: boolean;
  dotted?: boolean;
  prefix?: string;
  set?: 'train' | 't10k' | 'test';
  offset?: number;
}

/** Write <prefix><set>-images-idx3-ubyte and its labels file; returns the two file names. */
export function writeTinySet(dir: string, set: TinySet, o: WriteOptions = {}): { images: string; labels: string } {
  const sep = o.dotted ? '.' : '-';
  const base = `${o.prefix ?? ''}${o.set ?? 'train'}`;
  const ext = o.gz ? '.gz' : '';
  const dims = set.c === 1 ? [set.labels.length, set.h, set.w] : [set.labels.length, set.h, set.w, set.c];
  const images = `${base}-images${sep}idx${dims.length}-ubyte${ext}`;
  const labels = `${base}-labels${sep}idx1-ubyte${ext}`;
  const pack = (b: Uint8Array) => (o.gz ? gzipSync(b) : b);
  writeFileSync(join(dir, images), pack(encodeIdx(dims, tinyPixels(set, o.offset ?? 0))));
  writeFileSync(join(dir, labels), pack(encodeIdx([set.labels.length], Uint8Array.from(set.labels))));
  return { images, labels };
}

/** 4 classes (0-3), 3 train images each, and one t10k image each: 2x3 grey images. */
export const TINY_TRAIN: TinySet = { labels: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], h: 2, w: 3, c: 1 };
export const TINY_TEST: TinySet = { labels: [3, 2, 1, 0], h: 2, w: 3, c: 1 };
