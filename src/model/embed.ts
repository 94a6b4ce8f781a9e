import { tf } from '../backend/tf.js';
import type { Split } from '../data/types.js';
import type { Embedder } from './embedder.js';

/**
 * Embeds samples of a split in inference mode, chunk by chunk, into one flat Float32Array
 * [indices.length * dim]. No tensor outlives a chunk; no gradient tape is recorded.
 */
export async function embedSamples(model: Embedder, split: Split, indices: Int32Array, chunkSize = 256): Promise<Float32Array> {
  const [h, w, c] = model.inputShape;
  const out = new Float32Array(indices.length * model.dim);
  for (let start = 0; start < indices.length; start += chunkSize) {
    const chunk = indices.subarray(start, Math.min(indices.length, start + chunkSize));
    const pixels = await split.loadImages(chunk);
    const emb = tf.tidy(() => model.apply(tf.tensor4d(pixels, [chunk.length, h, w, c])));
    out.set(await emb.data() as Float32Array, start * model.dim);
    emb.dispose();
  }
  return out;
}

export function allIndices(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
