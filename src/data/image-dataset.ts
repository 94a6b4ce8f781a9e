import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { FlagSpec, GivenFlags, TakeDefault } from '../flag-spec.js';
import { configMessages } from '../messages/config.js';
import { dataMessages } from '../messages/data.js';
import { checkImageFiles } from './image-check.js';
import { ImageSplit } from './image-split.js';
import { ImageStore } from './image-store.js';
import { IMAGENET_NORMALIZATION, NO_NORMALIZATION, resizeSide } from './image-transform.js';
import { checkOptions, dataRngs, fmt, indicesByClass, selectRows } from './split-rules.js';
import type { Dataset, DatasetOptions, EvalProtocol, Normalization } from './types.js';

export const DEFAULT_IMAGE_SIZE = 224;

/** The named normalisations --normalization chooses among (explicit mean/std only through the library's ImageOptions). */
export const NORMALIZATIONS = { imagenet: 'ImageNet mean/std per channel (Keras/torchvision backbones)', none: 'values in [0, 1]' } as const;
export type NormalizationKind = keyof typeof NORMALIZATIONS;
export const NORMALIZATION_KINDS = Object.keys(NORMALIZATIONS) as NormalizationKind[];

export const IMAGE_SIZE_FLAG = { name: 'image-size', type: 'number', field: 'size', describe: 'image datasets: side of the square network input' } as const satisfies FlagSpec;
export const NORMALIZATION_FLAG = {
  name: 'normalization', type: 'string', choices: NORMALIZATION_KINDS,
  describe: `image datasets: ${Object.entries(NORMALIZATIONS).map(([k, v]) => `${k}: ${v}`).join('; ')}; must match what the backbone was trained on`,
} as const satisfies FlagSpec;

/**
 * What every dataset read from image files with sharp shares, spread into its factory: it takes
 * DatasetOptions.image, reads --image-size and --normalization, and records them as
 * config.json's dataset.image (only those given: the defaults stay the loader's, recorded in
 * defaultsApplied).
 */
export const IMAGE_DATASET = {
  images: true,
  flags: [IMAGE_SIZE_FLAG, NORMALIZATION_FLAG],
  defaults: { imageSize: DEFAULT_IMAGE_SIZE, normalization: 'imagenet' },
  fromFlags(flags: GivenFlags, take: TakeDefault): { image?: { size?: number; normalization?: NormalizationKind } } {
    const size = flags.imageSize as number | undefined;
    const normalization = flags.normalization as string | undefined;
    // The defaults are the loader's (resolveImageOptions): recorded, not written into the config.
    take(IMAGE_SIZE_FLAG.name, size, DEFAULT_IMAGE_SIZE);
    take(NORMALIZATION_FLAG.name, normalization, 'imagenet');
    if (size === undefined && normalization === undefined) return {};
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) throw new UserError(configMessages.positiveInteger('--image-size', size));
    if (normalization !== undefined && !(NORMALIZATION_KINDS as readonly string[]).includes(normalization)) {
      throw new UserError(configMessages.unknownChoice('--normalization', String(normalization), NORMALIZATION_KINDS));
    }
    return { image: { ...(size !== undefined ? { size } : {}), ...(normalization !== undefined ? { normalization: normalization as NormalizationKind } : {}) } };
  },
} as const;
export const DEFAULT_CACHE_BYTES = 1024 ** 3;
export const DEFAULT_DECODE_THREADS = 2;

/** One image of a list: its file (absolute) and its class label. */
export interface ImageEntry {
  path: string;
  label: number;
}

export interface ResolvedImageOptions {
  size: number;
  norm: Normalization;
  augmentSeed: number;
  cacheBytes: number;
  threads: number;
  decodeSide: number;
}

export function resolveImageOptions(opts: DatasetOptions): ResolvedImageOptions {
  const { dataSeed } = checkOptions(opts);
  const o = opts.image ?? {};
  const size = o.size ?? DEFAULT_IMAGE_SIZE;
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new UserError(dataMessages.imageSizeInvalid(size));
  let norm: Normalization;
  if (o.normalization === undefined || o.normalization === 'imagenet') norm = IMAGENET_NORMALIZATION;
  else if (o.normalization === 'none') norm = NO_NORMALIZATION;
  else if (typeof o.normalization === 'object') {
    norm = o.normalization;
    const ok = norm.mean?.length === 3 && norm.std?.length === 3 &&
      norm.mean.every(Number.isFinite) && norm.std.every((s) => Number.isFinite(s) && s > 0);
    if (!ok) throw new UserError(dataMessages.normalizationInvalid(JSON.stringify(o.normalization)));
  } else throw new UserError(dataMessages.normalizationInvalid(JSON.stringify(o.normalization)));
  const augmentSeed = o.augmentSeed ?? dataSeed;
  const cacheBytes = o.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const threads = o.decodeThreads ?? DEFAULT_DECODE_THREADS;
  if (!Number.isInteger(augmentSeed) || augmentSeed < 0) throw new UserError(dataMessages.imageOptionInvalid('augmentSeed', augmentSeed));
  if (!Number.isFinite(cacheBytes) || cacheBytes < 0) throw new UserError(dataMessages.imageOptionInvalid('cacheBytes', cacheBytes));
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(dataMessages.imageOptionInvalid('decodeThreads', threads));
  const decodeSide = o.decodeSide ?? resizeSide(size);
  if (!Number.isInteger(decodeSide) || (decodeSide !== 0 && decodeSide < resizeSide(size))) {
    throw new UserError(dataMessages.decodeSideInvalid(decodeSide, resizeSide(size)));
  }
  return { size, norm, augmentSeed, cacheBytes, threads, decodeSide };
}

/** The dataset's root folder, checked to exist. */
export function checkRoot(kind: string, root: string, example: string): string {
  if (root === '') throw new UserError(dataMessages.datasetRootEmpty(kind, example));
  let ok = false;
  try {
    ok = statSync(root).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new UserError(dataMessages.datasetRootMissing(kind, root));
  return root;
}

/** Non-empty, trimmed lines of a list file, with their 1-based line numbers. */
export function readLines(kind: string, file: string, hint: string): { line: number; text: string }[] {
  if (!existsSync(file)) throw new UserError(dataMessages.datasetFileMissing(kind, file, hint));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(dataMessages.datasetFileMissing(kind, file, `${hint}; ${(e as Error).message}`));
  }
  const out: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((t, i) => {
    const s = t.trim();
    if (s !== '') out.push({ line: i + 1, text: s });
  });
  if (out.length === 0) throw new UserError(dataMessages.listEmpty(file));
  return out;
}

/** Split a line into exactly `n` whitespace-separated fields (the last may hold spaces when `restJoined`). */
export function fields(file: string, l: { line: number; text: string }, n: number, expected: string): string[] {
  const parts = l.text.split(/\s+/);
  if (parts.length !== n) throw new UserError(dataMessages.listLineInvalid(file, l.line, l.text, expected));
  return parts;
}

/** A whole number field, or a clear error naming the line. */
export function intField(file: string, l: { line: number; text: string }, value: string, expected: string): number {
  if (!/^-?\d+$/.test(value)) throw new UserError(dataMessages.listLineInvalid(file, l.line, l.text, expected));
  return Number(value);
}

export function under(root: string, path: string): string {
  return isAbsolute(path) ? path : join(root, path);
}

/** Every listed file must exist before anything is decoded; the error names the first missing one. */
export function checkImagesExist(listFile: string, entries: readonly ImageEntry[]): void {
  let missing = 0;
  let first = '';
  for (const e of entries) {
    if (!existsSync(e.path)) {
      if (missing === 0) first = e.path;
      missing++;
    }
  }
  if (missing > 0) throw new UserError(dataMessages.imagesMissing(listFile, missing, first));
}

/** Entries of the given classes, at most perClass per class (seeded), in list order. */
export function capPerClass(entries: readonly ImageEntry[], perClass: number | undefined, rng: ReturnType<typeof dataRngs>['subset']): ImageEntry[] {
  if (perClass === undefined) return [...entries];
  const byClass = indicesByClass(entries.map((e) => e.label));
  const rows = selectRows(byClass, [...byClass.keys()].sort((a, b) => a - b), perClass, rng);
  return Array.from(rows, (r) => entries[r]);
}

export function countClasses(entries: readonly ImageEntry[]): number {
  return new Set(entries.map((e) => e.label)).size;
}

/**
 * Build a Dataset from its train and test image lists (both already validated). The two splits
 * share one decoded-image store. perClass (if set) caps train and test images per class, unless
 * the evaluation protocol fixes the test ids (then only train is capped).
 */
export function buildImageDataset(args: {
  spec: string;
  name: string;
  opts: DatasetOptions;
  train: readonly ImageEntry[];
  test: readonly ImageEntry[];
  evaluation?: EvalProtocol;
  describe: (train: string, test: string, size: number) => string;
}): Dataset {
  const io = resolveImageOptions(args.opts);
  const { perClass } = checkOptions(args.opts);
  const rngs = dataRngs(args.opts.dataSeed);
  const train = capPerClass(args.train, perClass, rngs.subset);
  const test = args.evaluation && args.evaluation.kind !== 'leave-one-out' ? [...args.test] : capPerClass(args.test, perClass, rngs.subset);
  checkImageFiles([...train, ...test].map((e) => e.path));
  const store = new ImageStore([...train, ...test].map((e) => e.path), {
    side: io.decodeSide, cacheBytes: io.cacheBytes, threads: io.threads,
  });
  const rows = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);
  const labels = (es: readonly ImageEntry[]) => Int32Array.from(es, (e) => e.label);
  const trainSplit = new ImageSplit(labels(train), store, rows(0, train.length), io.size, io.norm, io.augmentSeed);
  const testSplit = new ImageSplit(labels(test), store, rows(train.length, test.length), io.size, io.norm, io.augmentSeed);
  const says = (es: readonly ImageEntry[]) => `${fmt(countClasses(es))} classes, ${fmt(es.length)} images`;
  const cap = perClass === undefined ? '' : `, at most ${perClass} per class`;
  return {
    spec: args.spec,
    name: args.name,
    imageShape: [io.size, io.size, 3],
    train: trainSplit,
    test: testSplit,
    evaluation: args.evaluation,
    description: args.describe(says(train), says(test), io.size) + cap,
  };
}

export const rootName = (root: string) => resolve(root).split(/[\\/]/).filter(Boolean).pop() ?? root;

/**
 * A benchmark whose classes are numbered 1..total and split in halves (CUB-200: 1-100 / 101-200;
 * Cars196: 1-98 / 99-196): checks the numbering and that every image exists, then splits.
 */
export function numberedClassHalves(entries: ImageEntry[], total: number, files: { labels: string; images: string }): { train: ImageEntry[]; test: ImageEntry[] } {
  const classes = new Set(entries.map((e) => e.label));
  if (classes.size !== total || Math.min(...classes) !== 1 || Math.max(...classes) !== total) {
    throw new UserError(dataMessages.classCountMismatch(files.labels, classes.size, `${total} (numbered 1-${total})`));
  }
  checkImagesExist(files.images, entries);
  const half = total / 2;
  return { train: entries.filter((e) => e.label <= half), test: entries.filter((e) => e.label > half) };
}
