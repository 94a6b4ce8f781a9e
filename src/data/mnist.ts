import { ArraySplit } from './array-split.js';
import { loadDigitFile, MNIST_PIXELS, MNIST_SIDE } from './mnist-files.js';
import { checkOptions, checkPerClass, dataRngs, fmt, indicesByClass, labelsOf, selectRows } from './split-rules.js';
import type { Dataset, DatasetFactory } from './types.js';

const TRAIN_CLASSES = [0, 1, 2, 3, 4];
const TEST_CLASSES = [5, 6, 7, 8, 9];

/**
 * MNIST with the documented class split: digits 0-4 of the train file for training, digits 5-9
 * of the t10k file for testing, so no image and no class is shared.
 */
export const mnistFactory: DatasetFactory = {
  key: 'mnist',
  usage: 'mnist',
  summary: 'MNIST digits 28x28: train on digits 0-4 (train file), test on digits 5-9 (t10k file)',
  async load(_arg, spec, opts): Promise<Dataset> {
    const { dataSeed, perClass } = checkOptions(opts);
    const [trainFile, testFile] = await Promise.all([loadDigitFile('train'), loadDigitFile('t10k')]);
    const trainBy = indicesByClass(trainFile.labels);
    const testBy = indicesByClass(testFile.labels);
    checkPerClass('mnist', perClass, [
      { byClass: trainBy, classes: TRAIN_CLASSES },
      { byClass: testBy, classes: TEST_CLASSES },
    ]);
    const { subset } = dataRngs(dataSeed);
    const trainRows = selectRows(trainBy, TRAIN_CLASSES, perClass, subset);
    const testRows = selectRows(testBy, TEST_CLASSES, perClass, subset);
    const train = new ArraySplit(labelsOf(trainFile.labels, trainRows), trainFile.images, MNIST_PIXELS, trainRows);
    const test = new ArraySplit(labelsOf(testFile.labels, testRows), testFile.images, MNIST_PIXELS, testRows);
    const cap = perClass === undefined ? '' : `, at most ${perClass} per class`;
    return {
      spec,
      name: 'mnist',
      imageShape: [MNIST_SIDE, MNIST_SIDE, 1],
      train,
      test,
      description:
        `MNIST 28x28x1, 10 classes${cap}: train on digits 0-4 of the MNIST train file (${fmt(train.size)} images), ` +
        `test on digits 5-9 of the t10k file (${fmt(test.size)} images)`,
    };
  },
};
