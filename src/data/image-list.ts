import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { buildImageDataset, checkImagesExist, intField, readLines, under, type ImageEntry, IMAGE_DATASET } from './image-dataset.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

const EXPECTED = '"<image path> <integer label>" (a comma also separates, as research-xbm reads it)';

/** Lines "path label" or "path,label"; relative paths are relative to the list file's folder. */
export function readImageList(file: string): ImageEntry[] {
  const base = dirname(file);
  return readLines('list', file, 'lines "<image path> <label>"').map((l) => {
    const m = /^(.+?)[,\s]+(-?\d+)$/.exec(l.text);
    if (!m) throw new UserError(dataMessages.listLineInvalid(file, l.line, l.text, EXPECTED));
    return { path: under(base, m[1]), label: intField(file, l, m[2], EXPECTED) };
  });
}

/** Two list files, train and test (research-xbm's img_source lists); leave-one-out retrieval on test. */
export async function loadImageLists(arg: string, spec: string, opts: DatasetOptions): Promise<Dataset> {
  const parts = arg.split(',');
  if (parts.length !== 2 || parts.some((p) => p.trim() === '')) throw new UserError(dataMessages.listSpecInvalid(arg));
  const [trainFile, testFile] = parts.map((p) => p.trim());
  const train = readImageList(trainFile);
  const test = readImageList(testFile);
  checkImagesExist(trainFile, train);
  checkImagesExist(testFile, test);
  return buildImageDataset({
    spec, name: 'list', opts, train, test,
    describe: (tr, te, s) => `image lists at ${s}x${s}x3: ${trainFile} trains (${tr}), ${testFile} tests (${te}), leave-one-out retrieval`,
  });
}

export const imageListFactory: DatasetFactory = {
  ...IMAGE_DATASET,
  key: 'list:',
  usage: 'list:<train.txt>,<test.txt>',
  summary: 'two image lists, lines "path label" (research-xbm format), paths relative to the list file',
  load: (arg, spec, opts) => loadImageLists(arg, spec, opts),
};
