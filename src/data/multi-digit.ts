import type { Rng } from '../random.js';
import { ArraySplit } from './array-split.js';
import { type DigitFile, loadDigitFile, MNIST_PIXELS, MNIST_SIDE } from './mnist-files.js';
import { checkOptions, dataRngs, fmt, indicesByClass, splitClasses } from './split-rules.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

export const MULTI_DIGIT_DEFAULT_PER_CLASS: Readonly<Record<2 | 3, number>> = { 2: 60, 3: 12 };

/** A composed split that remembers which MNIST digit images each sample is made of. */
export class MultiDigitSplit extends ArraySplit {
  constructor(
    labels: Int32Array,
    pixels: Uint8Array,
    pixelsPerImage: number,
    /** digits per sample, left to right: row indices into `sourceFile` ([size, digits]) */
    readonly digitRows: Int32Array,
    readonly sourceFile: 'train' | 't10k',
  ) {
    super(labels, pixels, pixelsPerImage);
  }
}

export interface MultiDigitDataset extends Dataset {
  readonly digits: 2 | 3;
  readonly train: MultiDigitSplit;
  readonly test: MultiDigitSplit;
}

/**
 * Multi-digit MNIST: the class is the number the digits spell ('07' is class 7), 10^digits
 * classes, images side by side (28 x 28*digits). A seeded half of the classes trains, the rest
 * tests; training images are composed from train-file digits and test images from t10k digits,
 * so no digit image crosses the split. Everything follows from dataSeed and perClass.
 */
export async function loadMultiDigit(digits: 2 | 3, spec: string, opts: DatasetOptions): Promise<MultiDigitDataset> {
  const { dataSeed, perClass: given } = checkOptions(opts);
  const perClass = given ?? MULTI_DIGIT_DEFAULT_PER_CLASS[digits];
  const name = `mnist${digits}`;
  const nClasses = 10 ** digits;
  const rngs = dataRngs(dataSeed);
  const classes = splitClasses(Array.from({ length: nClasses }, (_, i) => i), rngs.classSplit, name);
  const [trainFile, testFile] = await Promise.all([loadDigitFile('train'), loadDigitFile('t10k')]);
  const train = compose(trainFile, classes.train, digits, perClass, rngs.compose.fork());
  const test = compose(testFile, classes.test, digits, perClass, rngs.compose.fork());
  const width = MNIST_SIDE * digits;
  const words = digits === 2 ? 'two' : 'three';
  const top = '9'.repeat(digits);
  return {
    spec,
    name,
    digits,
    imageShape: [MNIST_SIDE, width, 1],
    train,
    test,
    description:
      `${words}-digit MNIST ${MNIST_SIDE}x${width}x1, ${fmt(nClasses)} classes (the number ${'0'.repeat(digits)}-${top} the digits spell), ` +
      `${perClass} images per class composed with dataSeed ${dataSeed}; a seeded random half of the classes trains ` +
      `(${fmt(classes.train.length)} classes, ${fmt(train.size)} images, digits from the MNIST train file), ` +
      `the rest tests (${fmt(classes.test.length)} classes, ${fmt(test.size)} images, digits from the t10k file)`,
  };
}

function compose(file: DigitFile, classes: readonly number[], digits: number, perClass: number, rng: Rng): MultiDigitSplit {
  const pools = digitPools(file, rng);
  const width = MNIST_SIDE * digits;
  const pixelsPerImage = MNIST_SIDE * width;
  const n = classes.length * perClass;
  const labels = new Int32Array(n);
  const digitRows = new Int32Array(n * digits);
  const pixels = new Uint8Array(n * pixelsPerImage);
  const src = file.images;
  let i = 0;
  for (const c of classes) {
    for (let k = 0; k < perClass; k++, i++) {
      labels[i] = c;
      for (let p = 0; p < digits; p++) {
        const digit = Math.floor(c / 10 ** (digits - 1 - p)) % 10;
        const row = pools[digit]();
        digitRows[i * digits + p] = row;
        // copy the 28x28 digit into columns [28p, 28p + 28) of the wide image
        const from = row * MNIST_PIXELS;
        const to = i * pixelsPerImage + p * MNIST_SIDE;
        for (let r = 0; r < MNIST_SIDE; r++) {
          const a = from + r * MNIST_SIDE;
          const b = to + r * width;
          for (let x = 0; x < MNIST_SIDE; x++) pixels[b + x] = src[a + x];
        }
      }
    }
  }
  return new MultiDigitSplit(labels, pixels, pixelsPerImage, digitRows, file.which);
}

/**
 * For each digit, an endless draw of that digit's images: shuffled passes without replacement,
 * so every image is used before any repeats.
 */
function digitPools(file: DigitFile, rng: Rng): (() => number)[] {
  const by = indicesByClass(file.labels);
  return Array.from({ length: 10 }, (_, d) => {
    const rows = by.get(d) ?? [];
    if (rows.length === 0) throw new Error(`${file.imagesPath} has no image of digit ${d}`);
    const poolRng = rng.fork();
    let order = poolRng.shuffle(rows.slice());
    let pos = 0;
    return () => {
      if (pos === order.length) {
        order = poolRng.shuffle(rows.slice());
        pos = 0;
      }
      return order[pos++];
    };
  });
}

export const mnist2Factory: DatasetFactory = {
  key: 'mnist2',
  usage: 'mnist2',
  summary: 'two-digit MNIST 28x56, 100 classes (60 images each by default), a seeded half for training',
  load: (_arg, spec, opts) => loadMultiDigit(2, spec, opts),
};

export const mnist3Factory: DatasetFactory = {
  key: 'mnist3',
  usage: 'mnist3',
  summary: 'three-digit MNIST 28x84, 1,000 classes (12 images each by default), a seeded half for training',
  load: (_arg, spec, opts) => loadMultiDigit(3, spec, opts),
};
