import type { FlagSpec, GivenFlags, TakeDefault } from '../flag-spec.js';

/**
 * The dataset contract the rest of the toolkit codes against. Deep metric learning trains on
 * some classes and evaluates retrieval on others, so every dataset hands out a class-disjoint
 * train/test split.
 */
export interface Split {
  readonly size: number;
  /** label of sample i (sample id = index in the split) */
  readonly labels: Int32Array;
  /** sorted distinct labels */
  readonly classes: readonly number[];
  /**
   * images of the given samples, concatenated, row-major [n, h, w, c]: values in [0, 1] for the
   * in-memory digit datasets; image datasets apply the test-time transform (resize + centre crop)
   * and their per-channel normalisation (ImageNet mean/std by default). Deterministic: the drift
   * probe and evaluation read images through this.
   */
  loadImages(indices: ArrayLike<number>): Promise<Float32Array>;
  /**
   * Optional, image datasets only: the training view of the samples (random resized crop +
   * horizontal flip, then normalisation), a pure function of (augmentation seed, iteration,
   * sample id), so a resumed run sees the same pixels. Splits without it train on loadImages.
   */
  loadAugmented?(indices: ArrayLike<number>, iteration: number): Promise<Float32Array>;
  /**
   * Optional: start decoding these samples now (the next batch, while the current step runs);
   * a later loadImages/loadAugmented of them awaits that work instead of decoding again.
   */
  prefetch?(indices: ArrayLike<number>): void;
}

/**
 * How retrieval on the test split is scored. Ids are sample ids of the test split.
 * - leave-one-out: every test image queries all the others (CUB, Cars, SOP; the default).
 * - query-gallery: the queries search the gallery only (In-Shop).
 * - sets: several test sets, each scored leave-one-out on its own (VehicleID 800/1,600/2,400);
 *   `name` is the eval.csv split name, the first set is the primary one ('test').
 */
export type EvalProtocol =
  | { readonly kind: 'leave-one-out' }
  | { readonly kind: 'query-gallery'; readonly queryIds: Int32Array; readonly galleryIds: Int32Array }
  | { readonly kind: 'sets'; readonly sets: readonly { readonly name: string; readonly ids: Int32Array }[] };

export interface Dataset {
  /** what the user typed, e.g. 'mnist2' or 'idx:/data/fashion' */
  readonly spec: string;
  readonly name: string;
  /** [h, w, c] */
  readonly imageShape: readonly [number, number, number];
  readonly train: Split;
  readonly test: Split;
  /** one line for logs/README: classes, images, split rule */
  readonly description: string;
  /** how the test split is scored; absent means leave-one-out */
  readonly evaluation?: EvalProtocol;
}

/** What a dataset's own flags set (DatasetFactory.fromFlags), as config.json's `dataset` keeps it. */
export interface DatasetSettings {
  image?: { size?: number; normalization?: 'imagenet' | 'none' };
  /** a dataset layout's own flag values, by field */
  settings?: Readonly<Record<string, string | number | boolean>>;
}

export interface DatasetOptions {
  dataSeed: number;
  /** images per class: a cap for file datasets, the number generated for multi-digit MNIST */
  perClass?: number;
  /** image datasets (read with sharp) only; the digit datasets ignore it */
  image?: ImageOptions;
  /** the values of the dataset's own flags (DatasetSettings.settings) */
  settings?: DatasetSettings['settings'];
}

/** Per-channel normalisation applied after scaling bytes to [0, 1]: (x - mean) / std. */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface ImageOptions {
  /** side of the square network input; default 224 */
  size?: number;
  /** 'imagenet' (default), 'none' (values stay in [0, 1]) or explicit mean/std */
  normalization?: 'imagenet' | 'none' | Normalization;
  /** seeds the training augmentation; default: the dataSeed */
  augmentSeed?: number;
  /** budget of the decoded-image cache in bytes; default 1 GiB, 0 disables it */
  cacheBytes?: number;
  /**
   * shorter side images are decoded (and cached) at; default size * 256 / 224 (the test-time
   * resize, 256 for 224), 0 = full resolution. Training crops come from this decoded image, so a
   * larger side gives sharper small crops (closer to cropping the original) at more memory.
   */
  decodeSide?: number;
  /** decodes in flight at once (sharp/libuv threads); default 2 */
  decodeThreads?: number;
}

/**
 * One kind of dataset. `key` either names the dataset exactly ('mnist2') or, ending in ':',
 * is a prefix whose remainder is passed as `arg` ('idx:' + folder). A new dataset (an image
 * folder read with sharp, say) is one file exporting a factory, listed in registry.ts.
 */
export interface DatasetFactory {
  readonly key: string;
  /** how the user writes it, for --help and error messages: 'mnist2', 'idx:<folder>' */
  readonly usage: string;
  /** one line for --help */
  readonly summary: string;
  /** read from image files with sharp: takes DatasetOptions.image (size, normalisation, cache) */
  readonly images?: boolean;
  /** the flags it reads (config/component-flags.ts: another dataset's flag given with it is refused) */
  readonly flags?: readonly FlagSpec[];
  /** its flags' defaults, by flag key, for --help */
  readonly defaults?: object;
  /**
   * The settings its flags give, checked (a UserError naming the flag), recorded in config.json's
   * `dataset` and handed back to `load` as DatasetOptions: an image dataset's `image`, another
   * layout's own values as `settings` (by field). Defaults applied are recorded through `take`.
   */
  fromFlags?(flags: GivenFlags, take: TakeDefault): DatasetSettings;
  load(arg: string, spec: string, opts: DatasetOptions): Promise<Dataset>;
}
