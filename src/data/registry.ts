import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { cars196Factory } from './cars196.js';
import { cub200Factory } from './cub200.js';
import { idxFactory } from './idx-folder.js';
import type { IMAGE_DATASET } from './image-dataset.js';
import { imageFolderFactory } from './image-folder.js';
import { imageListFactory } from './image-list.js';
import { inshopFactory } from './inshop.js';
import { mnistFactory } from './mnist.js';
import { mnist2Factory, mnist3Factory } from './multi-digit.js';
import { sopFactory } from './sop.js';
import { vehicleIdFactory } from './vehicleid.js';
import type { Dataset, DatasetFactory, DatasetOptions } from './types.js';

/** Every dataset the toolkit knows. A new dataset is one file exporting a factory, added here. */
export const DATASETS: readonly DatasetFactory[] = [
  mnistFactory, mnist2Factory, mnist3Factory, idxFactory,
  cub200Factory, cars196Factory, sopFactory, inshopFactory, vehicleIdFactory, imageFolderFactory, imageListFactory,
];

const matches = (key: string, spec: string) => (key.endsWith(':') ? spec.startsWith(key) : spec === key);

/** A dataset's kind, as the --dataset family names its member: the key without its ':' ('sop:' -> 'sop'). */
const kindOf = (f: DatasetFactory) => f.key.replace(/:$/, '');

/**
 * The datasets as a family of components chosen by --dataset (config/component-flags.ts): each
 * with the flags it declares, their defaults and how it reads them.
 */
export const DATASET_MEMBERS = DATASETS.map((f) => ({ kind: kindOf(f), flags: f.flags ?? [], defaults: f.defaults, fromFlags: f.fromFlags }));

/** The flags the datasets declare (part of the typed train flags); a dataset with its own flag adds its spec's type here. */
export type DatasetFlagSpec = (typeof IMAGE_DATASET)['flags'][number];

/** The kind of dataset a spec names ('sop:/data/SOP' -> 'sop', 'mnist2' -> 'mnist2'), undefined when none. */
export function datasetKind(spec: string): string | undefined {
  const f = DATASETS.find((d) => matches(d.key, spec));
  return f && kindOf(f);
}

/** Datasets read from image files with sharp: they take DatasetOptions.image (size, normalisation, cache). */
export const IMAGE_DATASET_KINDS: readonly string[] = DATASETS.filter((f) => f.images).map((f) => f.key);

/** Whether a spec names an image dataset (default image size 224, normalised, augmented in training). */
export function isImageDatasetSpec(spec: string): boolean {
  return IMAGE_DATASET_KINDS.some((key) => spec.startsWith(key));
}

/** How the user writes each dataset, for --help and error messages. */
export const DATASET_NAMES: readonly string[] = DATASETS.map((d) => d.usage);

/** The dataset kinds as the registry matches them: exact names, or prefixes ending in ':'. */
export const DATASET_KINDS: readonly string[] = DATASETS.map((d) => d.key);

/** Whether a spec names a registered kind of dataset (the config checks this before any disk access). */
export function isDatasetSpec(spec: string): boolean {
  return DATASET_KINDS.some((key) => matches(key, spec));
}

/** Resolve a spec ('mnist2', 'idx:/data/fashion') to its factory and load it. */
export async function loadDataset(spec: string, opts: DatasetOptions): Promise<Dataset> {
  for (const f of DATASETS) {
    if (matches(f.key, spec)) return f.load(spec.slice(f.key.endsWith(':') ? f.key.length : spec.length), spec, opts);
  }
  throw new UserError(dataMessages.unknownDataset(spec, DATASET_NAMES));
}
