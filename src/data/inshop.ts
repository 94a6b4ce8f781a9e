import { join } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { buildImageDataset, checkImagesExist, checkRoot, fields, readLines, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

const EXPECTED = '"<image_name> <item_id> train|query|gallery"';

/** 'id_00000123' -> 123 */
function itemNumber(file: string, l: { line: number; text: string }, item: string): number {
  const m = /^id_(\d+)$/.exec(item);
  if (!m) throw new UserError(dataMessages.listLineInvalid(file, l.line, l.text, EXPECTED));
  return Number(m[1]);
}

/**
 * DeepFashion In-Shop Clothes Retrieval as downloaded: list_eval_partition.txt (a count line, a
 * header, then "img/.../x.jpg id_00000001 train|query|gallery") and the img/ folder it names.
 * Train: 3,997 items (25,882 images). Test split: the 14,218 queries followed by the 12,612
 * gallery images (3,985 items); evaluation is query against gallery, not leave-one-out.
 */
export async function loadInShop(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('inshop', root, '/data/InShop');
  const file = join(root, 'list_eval_partition.txt');
  const lines = readLines('inshop', file, 'list_eval_partition.txt and img/');
  const sets: Record<string, ImageEntry[]> = { train: [], query: [], gallery: [] };
  for (const l of lines) {
    if (/^\d+$/.test(l.text) || /^image_name\b/.test(l.text)) continue; // count and header lines
    const [name, item, status] = fields(file, l, 3, EXPECTED);
    const set = sets[status];
    if (!set) throw new UserError(dataMessages.listLineInvalid(file, l.line, l.text, EXPECTED));
    set.push({ path: join(root, name), label: itemNumber(file, l, item) });
  }
  if (sets.train.length === 0 || sets.query.length === 0 || sets.gallery.length === 0) throw new UserError(dataMessages.listEmpty(file));
  checkImagesExist(file, [...sets.train, ...sets.query, ...sets.gallery]);
  const nq = sets.query.length;
  const ng = sets.gallery.length;
  return buildImageDataset({
    spec, name: 'inshop', opts,
    train: sets.train,
    test: [...sets.query, ...sets.gallery],
    evaluation: {
      kind: 'query-gallery',
      queryIds: Int32Array.from({ length: nq }, (_, i) => i),
      galleryIds: Int32Array.from({ length: ng }, (_, i) => nq + i),
    },
    describe: (tr, te, s) =>
      `In-Shop at ${s}x${s}x3: train ${tr}; test ${te}, evaluated as ${nq.toLocaleString('en-US')} queries against a ${ng.toLocaleString('en-US')}-image gallery`,
  });
}

export const inshopFactory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'inshop:',
  usage: 'inshop:<root>',
  summary: 'DeepFashion In-Shop folder (list_eval_partition.txt, img/): train items; queries against the gallery',
  load: (root, spec, opts) => loadInShop(root, spec, opts),
};
