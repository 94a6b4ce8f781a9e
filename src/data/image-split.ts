import { sortedClasses } from './array-split.js';
import type { ImageStore } from './image-store.js';
import { augmentRng, centreBox, cropResizeNormalize, randomResizedCrop, resizeSide } from './image-transform.js';
import type { Normalization, Split } from './types.js';

/**
 * A split of an image dataset: sample i is image `rows[i]` of a shared ImageStore (the train and
 * test splits of one dataset share its cache). loadImages is the test-time view (resize +
 * centre crop); loadAugmented the training view (random resized crop + flip, seeded per
 * (seed, iteration, sample)).
 */
export class ImageSplit implements Split {
  readonly size: number;
  readonly classes: readonly number[];

  constructor(
    readonly labels: Int32Array,
    private readonly store: ImageStore,
    private readonly rows: Int32Array,
    private readonly imageSize: number,
    private readonly norm: Normalization,
    private readonly augmentSeed: number,
  ) {
    if (rows.length !== labels.length) throw new Error(`rows ${rows.length} != labels ${labels.length}`);
    this.size = labels.length;
    this.classes = sortedClasses(labels);
  }

  /** the file of sample i */
  path(i: number): string {
    return this.store.paths[this.row(i)];
  }

  prefetch(indices: ArrayLike<number>): void {
    this.store.prefetch(Array.from(indices, (i) => this.row(i)));
  }

  loadImages(indices: ArrayLike<number>): Promise<Float32Array> {
    return this.load(indices, null);
  }

  loadAugmented(indices: ArrayLike<number>, iteration: number): Promise<Float32Array> {
    return this.load(indices, iteration);
  }

  private async load(indices: ArrayLike<number>, iteration: number | null): Promise<Float32Array> {
    const s = this.imageSize;
    const per = s * s * 3;
    const out = new Float32Array(indices.length * per);
    const rows = Array.from(indices, (i) => this.row(i));
    this.store.prefetch(rows); // every decode of the batch in flight at once
    for (let k = 0; k < rows.length; k++) {
      const img = await this.store.get(rows[k]);
      if (iteration === null) {
        // resize so the shorter side is size*256/224, centre crop size: in decoded pixels, a centred
        // box of size * short / resizeSide (exactly `size` when decoded at the resize side)
        const side = Math.min(img.width, img.height);
        const boxSide = Math.min(side, Math.round((s * side) / resizeSide(s)));
        cropResizeNormalize(img.data, img.width, centreBox(img.width, img.height, boxSide), s, false, this.norm, out, k * per);
      } else {
        const rng = augmentRng(this.augmentSeed, iteration, indices[k]);
        const box = randomResizedCrop(img.width, img.height, rng);
        cropResizeNormalize(img.data, img.width, box, s, rng.next() < 0.5, this.norm, out, k * per);
      }
    }
    return out;
  }

  private row(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`sample id ${i} is outside the split [0, ${this.size})`);
    return this.rows[i];
  }
}
