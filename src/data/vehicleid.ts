import { join } from 'node:path';
import { buildImageDataset, checkImagesExist, checkRoot, fields, intField, readLines, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

const EXPECTED = '"<image name> <vehicle id>"';
const HINT = 'train_test_split/train_list.txt, test_list_800.txt, test_list_1600.txt, test_list_2400.txt and image/';
/** The three test sets the DML literature reports, smallest first; the first is the primary 'test' row. */
export const VEHICLEID_TEST_SETS = [800, 1600, 2400] as const;

function readList(root: string, name: string): { file: string; entries: (ImageEntry & { key: string })[] } {
  const file = join(root, 'train_test_split', name);
  const entries = readLines('vehicleid', file, HINT).map((l) => {
    const [img, vid] = fields(file, l, 2, EXPECTED);
    return { key: img, path: join(root, 'image', `${img}.jpg`), label: intField(file, l, vid, EXPECTED) };
  });
  return { file, entries };
}

/**
 * PKU VehicleID as downloaded (VehicleID_V1.0/): train_test_split/train_list.txt and
 * test_list_{800,1600,2400}.txt ("<image> <vehicle id>"), images in image/<image>.jpg. Train
 * 13,134 vehicles (110,178 images, as published); the test split holds the union of the three
 * test lists, and each list is scored on its own (eval.csv rows 'test' = 800, 'test-1600', 'test-2400').
 */
export async function loadVehicleId(root: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  checkRoot('vehicleid', root, '/data/VehicleID_V1.0');
  const train = readList(root, 'train_list.txt');
  const tests = VEHICLEID_TEST_SETS.map((n) => ({ n, ...readList(root, `test_list_${n}.txt`) }));
  checkImagesExist(train.file, train.entries);
  for (const t of tests) checkImagesExist(t.file, t.entries);
  const pooled: ImageEntry[] = [];
  const at = new Map<string, number>();
  const sets = tests.map((t, k) => ({
    name: k === 0 ? 'test' : `test-${t.n}`,
    ids: Int32Array.from(t.entries, (e) => {
      let i = at.get(e.key);
      if (i === undefined) {
        i = pooled.length;
        at.set(e.key, i);
        pooled.push({ path: e.path, label: e.label });
      }
      return i;
    }),
  }));
  const vehicles = tests.map((t) => new Set(t.entries.map((e) => e.label)).size.toLocaleString('en-US'));
  return buildImageDataset({
    spec, name: 'vehicleid', opts,
    train: train.entries,
    test: pooled,
    evaluation: { kind: 'sets', sets },
    describe: (tr, te, s) =>
      `VehicleID at ${s}x${s}x3: train_list.txt trains (${tr}); test lists of ${vehicles.join(' / ')} vehicles (${te} pooled), each scored leave-one-out on its own`,
  });
}

export const vehicleIdFactory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'vehicleid:',
  usage: 'vehicleid:<root>',
  summary: 'PKU VehicleID folder (train_test_split/, image/): train list; test sets of 800, 1,600 and 2,400 vehicles scored separately',
  load: (root, spec, opts) => loadVehicleId(root, spec, opts),
};
