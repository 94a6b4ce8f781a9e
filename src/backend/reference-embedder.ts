/**
 * The reference embedder of the backend benchmarks and tests, built from raw ops so src/backend
 * depends on nothing above it: conv3x3(c)-relu[-maxpool2] per channel count, global average pool,
 * dense(dim), L2-normalise. The trainer uses src/model; this one only measures and checks kernels.
 */
import type { Rng } from '../random.js';
import { tf } from './tf.js';

export interface ReferenceEmbedderOptions {
  /** conv channel counts; every conv but the last is followed by a 2x2 max-pool */
  channels?: number[];
  dim?: number;
  /** conv + bias + relu as one tf.fused.conv2d (true) or as three ops (false) */
  fused?: boolean;
}

export interface ReferenceEmbedder {
  variables: tf.Variable[];
  dim: number;
  apply(x: tf.Tensor4D): tf.Tensor2D;
}

export const REFERENCE_CHANNELS = [32, 64, 128] as const;
export const REFERENCE_DIM = 64;
export const REFERENCE_INPUT: [number, number, number] = [28, 56, 1];

function normalTensor(shape: number[], std: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
  return tf.tensor(v, shape, 'float32');
}

export function createReferenceEmbedder(
  inputShape: [number, number, number],
  rng: Rng,
  options: ReferenceEmbedderOptions = {},
): ReferenceEmbedder {
  const channels = options.channels ?? [...REFERENCE_CHANNELS];
  const dim = options.dim ?? REFERENCE_DIM;
  const fused = options.fused ?? true;
  const convs: { w: tf.Variable; b: tf.Variable }[] = [];
  let cin = inputShape[2];
  for (const c of channels) {
    // He initialisation; small non-zero biases so the bias gradient path is exercised.
    const w = tf.variable(normalTensor([3, 3, cin, c], Math.sqrt(2 / (9 * cin)), rng));
    const b = tf.variable(normalTensor([c], 0.01, rng));
    convs.push({ w, b });
    cin = c;
  }
  const dw = tf.variable(normalTensor([cin, dim], Math.sqrt(1 / cin), rng));
  const db = tf.variable(normalTensor([dim], 0.01, rng));
  const variables = [...convs.flatMap((l) => [l.w, l.b]), dw, db];

  function apply(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      convs.forEach((l, i) => {
        h = fused
          ? tf.fused.conv2d({ x: h, filter: l.w as tf.Tensor4D, strides: 1, pad: 'same', bias: l.b, activation: 'relu' })
          : (tf.relu(tf.add(tf.conv2d(h, l.w as tf.Tensor4D, 1, 'same'), l.b)) as tf.Tensor4D);
        if (i < convs.length - 1) h = tf.maxPool(h, 2, 2, 'valid');
      });
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      const e = tf.add(tf.matMul(pooled, dw), db) as tf.Tensor2D;
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(e), 1, true), 1e-12));
      return tf.div(e, norm) as tf.Tensor2D;
    });
  }
  return { variables, dim, apply };
}
