import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { ArraySplit } from './array-split.js';
import { imageDims, labelVector, readIdx } from './idx-format.js';
import { checkOptions, checkPerClass, dataRngs, fmt, indicesByClass, labelsOf, selectRows, splitClasses } from './split-rules.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

/** e.g. train-images-idx3-ubyte, t10k-images.idx3-ubyte.gz, emnist-letters-test-images-idx3-ubyte */
const IMAGES_FILE = /^(.*?)(train|t10k|test)-images[-.]idx[34]-ubyte(\.gz)?$/;

interface FileSet {
  images: string;
  labels: string;
}

/**
 * Find the train (and optional test) images/labels files of an IDX folder. Several copies of one
 * set (x and x.gz) are fine, the uncompressed one wins; several sets (EMNIST's balanced and
 * letters side by side) are ambiguous and refused.
 */
export function findIdxFiles(folder: string): { train: FileSet; test: FileSet | null } {
  let entries: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(folder).sort();
  } catch {
    throw new UserError(dataMessages.idxFolderMissing(folder));
  }
  const images = entries
    .map((name) => ({ name, m: IMAGES_FILE.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    // uncompressed before .gz, dashes before dots, so the first match of a set is preferred
    .sort((a, b) => Number(!!a.m[3]) - Number(!!b.m[3]) || a.name.localeCompare(b.name));
  const trains = images.filter((e) => e.m[2] === 'train');
  if (trains.length === 0) throw new UserError(dataMessages.idxFilesMissing(folder));
  const prefixes = [...new Set(trains.map((e) => e.m[1]))];
  if (prefixes.length > 1) throw new UserError(dataMessages.idxAmbiguous(folder, trains.map((e) => e.name)));
  const prefix = prefixes[0];
  const pick = (set: string): FileSet | null => {
    const img = images.find((e) => e.m[1] === prefix && e.m[2] === set);
    if (!img) return null;
    const labelsRe = new RegExp(`^${escapeRe(prefix + set)}-labels[-.]idx1-ubyte(\\.gz)?$`);
    const labels = entries.filter((n) => labelsRe.test(n)).sort((a, b) => Number(a.endsWith('.gz')) - Number(b.endsWith('.gz')))[0];
    if (!labels) throw new UserError(dataMessages.idxLabelsMissing(folder, img.name, `${prefix}${set}-labels-idx1-ubyte`));
    return { images: join(folder, img.name), labels: join(folder, labels) };
  };
  return { train: pick('train')!, test: pick('t10k') ?? pick('test') };
}

interface LoadedSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  shape: [number, number, number];
  file: string;
}

async function loadSet(set: FileSet): Promise<LoadedSet> {
  const [img, lab] = await Promise.all([readIdx(set.images), readIdx(set.labels)]);
  const { n, h, w, c } = imageDims(img, set.images);
  return { images: img.data, labels: labelVector(lab, set.labels, set.images, n), n, shape: [h, w, c], file: set.images };
}

/**
 * Any dataset in MNIST's IDX format. Train and t10k files are pooled, then a seeded random half
 * of the classes trains and the rest tests; perClass caps the images per class.
 */
export async function loadIdxFolder(folder: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  if (folder === '') throw new UserError(dataMessages.idxFolderEmpty());
  const { dataSeed, perClass } = checkOptions(opts);
  const files = findIdxFiles(folder);
  const sets = await Promise.all([loadSet(files.train), ...(files.test ? [loadSet(files.test)] : [])]);
  const shape = sets[0].shape;
  for (const s of sets.slice(1)) {
    if (s.shape.join() !== shape.join()) {
      throw new UserError(dataMessages.idxShapeMismatch(s.file, s.shape.join('x'), sets[0].file, shape.join('x')));
    }
  }
  const pixels = sets.length === 1 ? sets[0].images : concat(sets.map((s) => s.images));
  const labels = sets.length === 1 ? sets[0].labels : concat(sets.map((s) => s.labels));
  const name = basename(resolve(folder));
  const byClass = indicesByClass(labels);
  const rngs = dataRngs(dataSeed);
  const classes = splitClasses([...byClass.keys()], rngs.classSplit, `idx:${folder}`);
  checkPerClass(`idx:${folder}`, perClass, [{ byClass, classes: [...classes.train, ...classes.test] }]);
  const trainRows = selectRows(byClass, classes.train, perClass, rngs.subset);
  const testRows = selectRows(byClass, classes.test, perClass, rngs.subset);
  const pixelsPerImage = shape[0] * shape[1] * shape[2];
  const train = new ArraySplit(labelsOf(labels, trainRows), pixels, pixelsPerImage, trainRows);
  const test = new ArraySplit(labelsOf(labels, testRows), pixels, pixelsPerImage, testRows);
  const pooled = files.test ? `${basename(files.train.images)} and ${basename(files.test.images)} pooled` : basename(files.train.images);
  const cap = perClass === undefined ? '' : `, at most ${perClass} per class`;
  return {
    spec,
    name,
    imageShape: shape,
    train,
    test,
    description:
      `IDX dataset ${name} ${shape.join('x')}, ${fmt(byClass.size)} classes, ${fmt(labels.length)} images (${pooled})${cap}; ` +
      `a random half of the classes (dataSeed ${dataSeed}) trains (${fmt(classes.train.length)} classes, ${fmt(train.size)} images), ` +
      `the rest tests (${fmt(classes.test.length)} classes, ${fmt(test.size)} images)`,
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const idxFactory: DatasetFactory = {
  key: 'idx:',
  usage: 'idx:<folder>',
  summary: 'any MNIST-format IDX folder (Fashion-MNIST, KMNIST, EMNIST...), train+t10k pooled, a seeded half of the classes for training',
  load: (folder, spec, opts) => loadIdxFolder(folder, spec, opts),
};
