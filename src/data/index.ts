/** The data area: datasets with class-disjoint splits, batch samplers, the drift probe set. */
export type { Dataset, DatasetFactory, DatasetOptions, EvalProtocol, ImageOptions, Normalization, Split } from './types.js';
export { DATASETS, DATASET_NAMES, IMAGE_DATASET_KINDS, isImageDatasetSpec, loadDataset } from './registry.js';
export { IMAGENET_NORMALIZATION, NO_NORMALIZATION } from './image-transform.js';
export { DEFAULT_IMAGE_SIZE } from './image-dataset.js';
export { readMat5, type MatValue } from './mat5.js';
export { ArraySplit } from './array-split.js';
export { encodeIdx, parseIdx, readIdx, type IdxArray } from './idx-format.js';
export { findIdxFiles, loadIdxFolder } from './idx-folder.js';
export { loadMultiDigit, MULTI_DIGIT_DEFAULT_PER_CLASS, MultiDigitSplit, type MultiDigitDataset } from './multi-digit.js';
export { createSampler, restoreSampler, type CycleState, type Sampler, type SamplerConfig, type SamplerState } from './samplers.js';
export { selectProbe } from './probe.js';
