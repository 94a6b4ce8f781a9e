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
  /** images of the given samples, concatenated, row-major [n, h, w, c], values in [0, 1] */
  loadImages(indices: ArrayLike<number>): Promise<Float32Array>;
}

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
}

export interface DatasetOptions {
  dataSeed: number;
  /** images per class: a cap for file datasets, the number generated for multi-digit MNIST */
  perClass?: number;
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
  load(arg: string, spec: string, opts: DatasetOptions): Promise<Dataset>;
}
