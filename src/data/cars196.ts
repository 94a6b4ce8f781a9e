import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { buildImageDataset, checkRoot, numberedClassHalves, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import { MatError, matScalar, matString, readMat5 } from './mat5.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

/**
 * Stanford Cars as downloaded: cars_annos.mat (struct array `annotations` with relative_im_path
 * 'car_ims/000001.jpg', bbox_*, class 1-196, test) and car_ims/. DML protocol: classes 1-98 train
 * (8,054 images), 99-196 test (8,131), the file's own train/test flag ignored; whole images (no
 * bounding-box crop), as the reference code reads them.
 */
export async function loadCars196(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('cars196', root, '/data/cars196');
  const file = join(root, 'cars_annos.mat');
  if (!existsSync(file)) throw new UserError(dataMessages.datasetFileMissing('cars196', file, 'cars_annos.mat and car_ims/'));
  let vars;
  try {
    vars = readMat5(readFileSync(file));
  } catch (e) {
    if (e instanceof MatError) throw new UserError(dataMessages.matInvalid(file, e.message));
    throw new UserError(dataMessages.matInvalid(file, (e as Error).message));
  }
  const ann = vars.get('annotations');
  if (ann?.kind !== 'struct') throw new UserError(dataMessages.matFieldMissing(file, 'annotations struct array'));
  for (const f of ['relative_im_path', 'class']) {
    if (!ann.fieldNames.includes(f)) throw new UserError(dataMessages.matFieldMissing(file, `annotations.${f}`));
  }
  const entries: ImageEntry[] = ann.elements.map((rec, i) => {
    const path = matString(rec.relative_im_path);
    const label = matScalar(rec.class);
    if (path === undefined || label === undefined || !Number.isInteger(label)) {
      throw new UserError(dataMessages.matFieldMissing(file, `a path and an integer class in annotations(${i + 1})`));
    }
    return { path: join(root, path), label };
  });
  return buildImageDataset({
    spec, name: 'cars196', opts,
    ...numberedClassHalves(entries, 196, { labels: file, images: file }),
    describe: (tr, te, s) => `Cars196 at ${s}x${s}x3: classes 1-98 train (${tr}), 99-196 test (${te}), leave-one-out retrieval`,
  });
}

export const cars196Factory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'cars196:',
  usage: 'cars196:<root>',
  summary: 'Stanford Cars folder (cars_annos.mat, car_ims/): classes 1-98 train, 99-196 test',
  load: (root, spec, opts) => loadCars196(root, spec, opts),
};
