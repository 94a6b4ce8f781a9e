import { join } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { buildImageDataset, checkRoot, numberedClassHalves, fields, intField, readLines, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

const HINT = 'images.txt, image_class_labels.txt and images/';

/**
 * CUB-200-2011 as downloaded (CUB_200_2011/): images.txt ("<id> <path>"), image_class_labels.txt
 * ("<id> <class>", classes 1-200), images/<path>. DML protocol: classes 1-100 train (5,864
 * images), 101-200 test (5,924), leave-one-out retrieval on test. Labels are the class numbers.
 */
export async function loadCub200(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('cub200', root, '/data/CUB_200_2011');
  const imagesFile = join(root, 'images.txt');
  const labelsFile = join(root, 'image_class_labels.txt');
  const paths = new Map<string, { path: string; line: number }>();
  for (const l of readLines('cub200', imagesFile, HINT)) {
    const [id, path] = fields(imagesFile, l, 2, '"<image id> <relative path>"');
    if (paths.has(id)) throw new UserError(dataMessages.listDuplicateId(imagesFile, id));
    paths.set(id, { path: join(root, 'images', path), line: l.line });
  }
  const labels = new Map<string, number>();
  for (const l of readLines('cub200', labelsFile, HINT)) {
    const [id, cls] = fields(labelsFile, l, 2, '"<image id> <class 1-200>"');
    const c = intField(labelsFile, l, cls, '"<image id> <class 1-200>"');
    if (labels.has(id)) throw new UserError(dataMessages.listDuplicateId(labelsFile, id));
    if (!paths.has(id)) throw new UserError(dataMessages.listIdMismatch(imagesFile, labelsFile, id));
    labels.set(id, c);
  }
  const entries: ImageEntry[] = [];
  for (const [id, p] of paths) {
    const label = labels.get(id);
    if (label === undefined) throw new UserError(dataMessages.listIdMismatch(labelsFile, imagesFile, id));
    entries.push({ path: p.path, label });
  }
  return buildImageDataset({
    spec, name: 'cub200', opts,
    ...numberedClassHalves(entries, 200, { labels: labelsFile, images: imagesFile }),
    describe: (tr, te, s) => `CUB-200-2011 at ${s}x${s}x3: classes 1-100 train (${tr}), 101-200 test (${te}), leave-one-out retrieval`,
  });
}

export const cub200Factory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'cub200:',
  usage: 'cub200:<root>',
  summary: 'CUB-200-2011 folder (images.txt, image_class_labels.txt, images/): classes 1-100 train, 101-200 test',
  load: (root, spec, opts) => loadCub200(root, spec, opts),
};
