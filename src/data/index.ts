/** The data area: datasets with class-disjoint splits, batch samplers, the drift probe set. */
export type { Dataset, DatasetFactory, DatasetOptions, Split } from './types.js';
export { DATASETS, DATASET_NAMES, loadDataset } from './registry.js';
export { ArraySplit } from './array-split.js';
export { encodeIdx, parseIdx, readIdx, type IdxArray } from './idx-format.js';
export { findIdxFiles, loadIdxFolder } from './idx-folder.js';
export { loadMultiDigit, MULTI_DIGIT_DEFAULT_PER_CLASS, MultiDigitSplit, type MultiDigitDataset } from './multi-digit.js';
export { createSampler, restoreSampler, type CycleState, type Sampler, type SamplerConfig, type SamplerState } from './samplers.js';
export { selectProbe } from './probe.js';
