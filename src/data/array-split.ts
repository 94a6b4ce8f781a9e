import type { Split } from './types.js';

/** byte -> [0, 1], so conversion is one table look-up per pixel */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * A split held in memory as raw bytes. Samples are rows of a shared pixel buffer (`rows[i]` is
 * the row of sample i), so the train and test splits of one file need no copies; pixels become
 * floats only in loadImages.
 */
export class ArraySplit implements Split {
  readonly size: number;
  readonly classes: readonly number[];

  constructor(
    readonly labels: Int32Array,
    private readonly pixels: Uint8Array,
    private readonly pixelsPerImage: number,
    private readonly rows?: Int32Array,
  ) {
    if (rows && rows.length !== labels.length) throw new Error(`rows ${rows.length} != labels ${labels.length}`);
    if (!rows && pixels.length !== labels.length * pixelsPerImage) {
      throw new Error(`pixels ${pixels.length} != ${labels.length} x ${pixelsPerImage}`);
    }
    this.size = labels.length;
    this.classes = sortedClasses(labels);
  }

  async loadImages(indices: ArrayLike<number>): Promise<Float32Array> {
    return this.imagesSync(indices);
  }

  imagesSync(indices: ArrayLike<number>): Float32Array {
    const p = this.pixelsPerImage;
    const out = new Float32Array(indices.length * p);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.size) {
        throw new RangeError(`sample id ${i} is outside the split [0, ${this.size})`);
      }
      const from = (this.rows ? this.rows[i] : i) * p;
      const base = k * p;
      for (let j = 0; j < p; j++) out[base + j] = BYTE_TO_UNIT[this.pixels[from + j]];
    }
    return out;
  }
}

export function sortedClasses(labels: ArrayLike<number>): number[] {
  return [...new Set(Array.from(labels))].sort((a, b) => a - b);
}
