import { join } from 'node:path';
import { buildImageDataset, checkImagesExist, checkRoot, fields, intField, readLines, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

const HINT = 'Ebay_train.txt, Ebay_test.txt and the <category>_final/ image folders';
const EXPECTED = '"<image_id> <class_id> <super_class_id> <path>"';

/** One Ebay_*.txt list: a header line, then "image_id class_id super_class_id path". */
function readEbay(root: string, name: string): { file: string; entries: ImageEntry[] } {
  const file = join(root, name);
  const lines = readLines('sop', file, HINT);
  const body = /^image_id\b/i.test(lines[0].text) ? lines.slice(1) : lines;
  const entries = body.map((l) => {
    const [, cls, , path] = fields(file, l, 4, EXPECTED);
    return { path: join(root, path), label: intField(file, l, cls, EXPECTED) };
  });
  return { file, entries };
}

/**
 * Stanford Online Products as downloaded: Ebay_train.txt (11,318 classes, 59,551 images) and
 * Ebay_test.txt (11,316 classes, 60,502); leave-one-out retrieval on test. Labels are class_id.
 */
export async function loadSop(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('sop', root, '/data/Stanford_Online_Products');
  const train = readEbay(root, 'Ebay_train.txt');
  const test = readEbay(root, 'Ebay_test.txt');
  checkImagesExist(train.file, train.entries);
  checkImagesExist(test.file, test.entries);
  return buildImageDataset({
    spec, name: 'sop', opts, train: train.entries, test: test.entries,
    describe: (tr, te, s) => `Stanford Online Products at ${s}x${s}x3: Ebay_train.txt trains (${tr}), Ebay_test.txt tests (${te}), leave-one-out retrieval`,
  });
}

export const sopFactory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'sop:',
  usage: 'sop:<root>',
  summary: 'Stanford Online Products folder (Ebay_train.txt, Ebay_test.txt): the published train/test lists',
  load: (root, spec, opts) => loadSop(root, spec, opts),
};
