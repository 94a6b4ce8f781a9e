import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { buildImageDataset, checkRoot, rootName, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import { dataRngs, fmt, splitClasses } from './split-rules.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

/** The image files sharp decodes. */
export const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/**
 * Any folder with one sub-folder of images per class. Labels number the class folders in sorted
 * name order from 0; a seeded random half of the classes (dataSeed) trains, the rest tests
 * (leave-one-out retrieval). Files that are not images are skipped; empty class folders too.
 */
export async function loadImageFolder(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('folder', root, '/data/my-images');
  const classDirs = readdirSync(root).sort().filter((d) => {
    try {
      return statSync(join(root, d)).isDirectory();
    } catch {
      return false;
    }
  });
  const byClass: { name: string; files: string[] }[] = [];
  for (const d of classDirs) {
    const files = readdirSync(join(root, d)).filter((f) => IMAGE_FILE.test(f)).sort();
    if (files.length > 0) byClass.push({ name: d, files: files.map((f) => join(root, d, f)) });
  }
  if (byClass.length < 2) throw new UserError(dataMessages.folderNoClasses(root, byClass.length));
  const entries: ImageEntry[] = byClass.flatMap((c, label) => c.files.map((path) => ({ path, label })));
  const split = splitClasses(byClass.map((_, i) => i), dataRngs(opts.dataSeed).classSplit, `folder:${root}`);
  const trainSet = new Set(split.train);
  return buildImageDataset({
    spec, name: rootName(root), opts,
    train: entries.filter((e) => trainSet.has(e.label)),
    test: entries.filter((e) => !trainSet.has(e.label)),
    describe: (tr, te, s) =>
      `image folder ${rootName(root)} at ${s}x${s}x3, ${fmt(byClass.length)} class folders: a random half (dataSeed ${opts.dataSeed}) trains (${tr}), the rest tests (${te}), leave-one-out retrieval`,
  });
}

export const imageFolderFactory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'folder:',
  usage: 'folder:<root>',
  summary: 'a folder with one sub-folder of images per class; a seeded class-disjoint half trains',
  load: (root, spec, opts) => loadImageFolder(root, spec, opts),
};
