/**
 * The model-level step timing shared by scripts/bench-train.ts (CPU backends) and
 * scripts/gpu-check.ts (webgpu), so both tables measure the same thing: a MobileNet-class
 * LayersModel built here (no download) and one Adam step of a contrastive loss on a synthetic
 * P x 4 batch, timed to the end of the device's work (await loss.data(): webgpu reads only
 * asynchronously). BatchNorm runs in training mode, as when fine-tuning a backbone end to end.
 */
import { loadavg } from 'node:os';
import { formatLoad, quantile } from './bench-utils.js';
import { tf, tfjs } from '../src/backend/tf.js';
import { l2Normalize } from '../src/model/embedder.js';
import { Rng } from '../src/random.js';

/** A MobileNet v1 layout: the stem's filters and the (pointwise filters, depthwise stride) blocks. */
export interface MobileNetLayout {
  stem: number;
  blocks: readonly (readonly [number, number])[];
}

/** MobileNet v1, width 1.0 (Howard et al. 2017, Table 1). */
export const MOBILENET_V1: MobileNetLayout = {
  stem: 32,
  blocks: [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]],
};

/**
 * MobileNet v1 without its classifier, with a `dim`-d dense embedding head: a stride-2 conv stem,
 * then per block depthwise 3 x 3 + BN + ReLU6 and pointwise 1 x 1 + BN + ReLU6, global average pool.
 * Tests build small ones with another layout.
 */
export function buildMobileNet(dim: number, size = 224, layout: MobileNetLayout = MOBILENET_V1): tfjs.Sequential {
  const l = tfjs.layers;
  const model = tfjs.sequential();
  model.add(l.conv2d({ inputShape: [size, size, 3], filters: layout.stem, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  model.add(l.batchNormalization());
  model.add(l.reLU({ maxValue: 6 }));
  for (const [filters, strides] of layout.blocks) {
    model.add(l.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false }));
    model.add(l.batchNormalization());
    model.add(l.reLU({ maxValue: 6 }));
    model.add(l.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false }));
    model.add(l.batchNormalization());
    model.add(l.reLU({ maxValue: 6 }));
  }
  model.add(l.globalAveragePooling2d({}));
  model.add(l.dense({ units: dim }));
  return model;
}

/** Contrastive loss on cosine similarities: positives pulled to 1, negatives pushed below 0.5. */
function pairLoss(embeddings: tf.Tensor2D, same: tf.Tensor2D): tf.Scalar {
  const e = l2Normalize(embeddings);
  const s = tf.matMul(e, e, false, true);
  const pos = tf.mul(same, tf.sub(1, s));
  const neg = tf.mul(tf.sub(1, same), tf.relu(tf.sub(s, 0.5)));
  return tf.div(tf.sum(tf.add(pos, neg)), embeddings.shape[0]) as tf.Scalar;
}

export interface StepTiming { model: string; input: string; batch: number; median: number; p10: number; p90: number; steps: number; load: string; error?: string }

/**
 * ms per Adam step of `forward` over a synthetic P x 4 batch; `warmup` untimed steps first (kernel
 * compilation, shader compilation, wasm memory growth). A failure (a missing kernel, a NaN loss)
 * is returned as `error`, not thrown, so a table can say what a backend cannot do.
 */
export async function timeModelSteps(name: string, input: [number, number, number], batch: number, steps: number,
  forward: (x: tf.Tensor4D) => tf.Tensor2D, variables: tf.Variable[], warmup = 2): Promise<StepTiming> {
  const rng = new Rng(batch);
  const [h, w, c] = input;
  const x = tf.tensor4d(Float32Array.from({ length: batch * h * w * c }, () => rng.normal()), [batch, h, w, c]);
  const labels = Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4));
  const same = tf.tensor2d(Float32Array.from({ length: batch * batch }, (_, k) => (labels[Math.floor(k / batch)] === labels[k % batch] ? 1 : 0)), [batch, batch]);
  const optimizer = tf.train.adam(1e-4);
  try {
    return await timeSteps(name, input, batch, steps, warmup, async (s) => {
      const loss = optimizer.minimize(() => pairLoss(forward(x), same), true, variables)!;
      const value = (await loss.data())[0];
      loss.dispose();
      if (!Number.isFinite(value)) throw new Error(`loss is ${value} at step ${s + 1}`);
    });
  } finally {
    optimizer.dispose();
    tf.dispose([x, same]);
  }
}

/**
 * ms per call of `step` (step index s, awaited) after `warmup` untimed calls, with the load
 * average before and after; a failure is returned as `error`, not thrown.
 */
export async function timeSteps(name: string, input: readonly number[], batch: number, steps: number, warmup: number,
  step: (s: number) => Promise<void>): Promise<StepTiming> {
  const before = formatLoad(loadavg());
  process.stderr.write(`measuring ${name}, batch ${batch}: load average before ${before}\n`);
  const times: number[] = [];
  let error: string | undefined;
  try {
    for (let s = 0; s < steps + warmup; s++) {
      const t0 = performance.now();
      await step(s);
      if (s >= warmup) times.push(performance.now() - t0);
    }
  } catch (e) {
    error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
  const after = formatLoad(loadavg());
  process.stderr.write(`  ${name}, batch ${batch}: load average after ${after}${error ? `; FAILED: ${error}` : ''}\n`);
  const q = (p: number) => (times.length ? quantile(times, p) : NaN);
  return { model: name, input: input.join(' x '), batch, median: q(0.5), p10: q(0.1), p90: q(0.9), steps: times.length, load: `${before} -> ${after}`, error };
}

/**
 * The MobileNet case of both benchmarks: MobileNet v1 at size x size x 3 (batch 32 on a GPU; on
 * wasm, batch 32 at 224 x 224 needs more than wasm32's 4 GB heap, so bench-train uses 8).
 */
export async function timeMobileNet(size: number, steps: number, warmup = 2, batch = 32): Promise<StepTiming> {
  const model = buildMobileNet(64, size);
  try {
    const forward = (x: tf.Tensor4D) => model.apply(x, { training: true }) as tf.Tensor2D;
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    return await timeModelSteps(`MobileNet v1 (${(model.countParams() / 1e6).toFixed(1)} M params)`, [size, size, 3], batch, steps, forward, trainable, warmup);
  } finally {
    model.dispose();
  }
}
