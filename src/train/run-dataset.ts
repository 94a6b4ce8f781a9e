import type { TrainConfig } from '../config/train-config.js';
import { loadDataset } from '../data/registry.js';
import type { Dataset } from '../data/types.js';

/**
 * The dataset a run trains and evaluates on, loaded the same way by the trainer and by
 * evaluateRun. Image datasets take the run's size and normalisation, and augment with the run's
 * seed (so two seeds of a study see different crops of the same split).
 */
export function loadRunDataset(config: TrainConfig): Promise<Dataset> {
  return loadDataset(config.dataset.spec, {
    dataSeed: config.dataset.dataSeed,
    perClass: config.dataset.imagesPerClass,
    image: { ...config.dataset.image, augmentSeed: config.seed },
    settings: config.dataset.settings,
  });
}
