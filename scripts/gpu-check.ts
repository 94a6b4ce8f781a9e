/**
 * The GPU benchmark of scripts/gpu-check.sh (issue 13): training ms/step on the webgpu backend of
 * (1) the reference embedder (conv 32/64/128, GAP, fc 64) on 28 x 56 x 1 at batch 64 and 16, and
 * (2) a MobileNet-class LayersModel (MobileNet v1, width 1.0, 3.2 M parameters, 64-d embedding
 * head) at 224 x 224 x 3, batch 32, built here with tf.layers (no download). Synthetic inputs;
 * the loss is a contrastive loss on cosine similarities of a P x 4 batch; one Adam step per
 * iteration, timed to the end of the GPU work (await loss.data()). Reads are asynchronous only:
 * tfjs-backend-webgpu's dataSync needs OffscreenCanvas, which Node lacks.
 *
 *   node --import tsx scripts/gpu-check.ts [--backend webgpu] [--steps 10] [--cases reference,mobilenet] [--size 224]
 */
import * as tfjs from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { flag, formatLoad, quantile } from './bench-utils.js';
import { initBackend, shutdownBackend, type BackendChoice } from '../src/backend/init-backend.js';
import { describeAdapter } from '../src/backend/webgpu.js';
import { tf } from '../src/backend/tf.js';
import { createEmbedder, l2Normalize, REFERENCE_EMBEDDER, REFERENCE_INPUT } from '../src/model/embedder.js';
import { Rng } from '../src/random.js';

/** MobileNet v1 (width 1.0) without its classifier, with a `dim`-d dense embedding head. */
export function buildMobileNet(dim: number, size = 224): tfjs.Sequential {
  const l = tfjs.layers;
  const model = tfjs.sequential();
  model.add(l.conv2d({ inputShape: [size, size, 3], filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  model.add(l.batchNormalization());
  model.add(l.reLU({ maxValue: 6 }));
  const blocks: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  for (const [filters, strides] of blocks) {
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

interface Row { model: string; input: string; batch: number; median: number; p10: number; p90: number; steps: number; load: string; error?: string }

/** ms per Adam step of `forward` over a synthetic P x 4 batch; two untimed steps first (shader compilation). */
async function timeSteps(name: string, input: [number, number, number], batch: number, steps: number,
  forward: (x: tf.Tensor4D) => tf.Tensor2D, variables: tf.Variable[]): Promise<Row> {
  const before = formatLoad(loadavg());
  process.stderr.write(`measuring ${name}, batch ${batch}: load average before ${before}\n`);
  const rng = new Rng(batch);
  const [h, w, c] = input;
  const x = tf.tensor4d(Float32Array.from({ length: batch * h * w * c }, () => rng.normal()), [batch, h, w, c]);
  const labels = Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4));
  const same = tf.tensor2d(Float32Array.from({ length: batch * batch }, (_, k) => (labels[Math.floor(k / batch)] === labels[k % batch] ? 1 : 0)), [batch, batch]);
  const optimizer = tf.train.adam(1e-4);
  const times: number[] = [];
  let error: string | undefined;
  try {
    for (let s = 0; s < steps + 2; s++) {
      const t0 = performance.now();
      const loss = optimizer.minimize(() => pairLoss(forward(x), same), true, variables)!;
      const value = (await loss.data())[0];
      loss.dispose();
      if (!Number.isFinite(value)) throw new Error(`loss is ${value} at step ${s + 1}`);
      if (s >= 2) times.push(performance.now() - t0);
    }
  } catch (e) {
    error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
  optimizer.dispose();
  tf.dispose([x, same]);
  const after = formatLoad(loadavg());
  process.stderr.write(`  ${name}, batch ${batch}: load average after ${after}${error ? `; FAILED: ${error}` : ''}\n`);
  const q = (p: number) => (times.length ? quantile(times, p) : NaN);
  return { model: name, input: input.join(' x '), batch, median: q(0.5), p10: q(0.1), p90: q(0.9), steps: times.length, load: `${before} -> ${after}`, error };
}

export async function main(): Promise<number> {
  const backend = flag('backend', 'webgpu') as BackendChoice;
  const steps = Number(flag('steps', '10'));
  const cases = flag('cases', 'reference,mobilenet').split(',');
  const size = Number(flag('size', '224')); // smaller only for a smoke test
  let info;
  try {
    info = await initBackend({ backend, asyncReadsOnly: true });
  } catch (e) {
    console.log(`GPU check: no benchmark: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const adapter = info.webgpu?.adapter ? describeAdapter(info.webgpu.adapter) : info.webgpu?.reason ?? '-';
  const rows: Row[] = [];
  if (cases.includes('reference')) {
    for (const batch of [64, 16]) {
      const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, new Rng(1));
      rows.push(await timeSteps('reference embedder', REFERENCE_INPUT, batch, steps, (x) => model.apply(x), model.variables));
      tf.dispose(model.variables);
    }
  }
  if (cases.includes('mobilenet')) {
    const model = buildMobileNet(64, size);
    const forward = (x: tf.Tensor4D) => model.apply(x, { training: true }) as tf.Tensor2D;
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const row = await timeSteps(`MobileNet v1 (${(model.countParams() / 1e6).toFixed(1)} M params)`, [size, size, 3], 32, steps, forward, trainable);
    rows.push(row);
    model.dispose();
  }
  console.log(`\nGPU check, ${new Date().toISOString()}, backend ${info.name} (asked ${backend}), adapter: ${adapter}, node ${process.version}, tfjs ${info.tfjsVersion}`);
  console.log(`attempts: ${info.attempts.map((a) => (a.ok ? a.backend : `${a.backend} (${a.reason})`)).join('; ')}\n`);
  console.log('| backend | model | input | batch | ms/step median | p10-p90 | steps | load before -> after |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ms = r.error ? `failed: ${r.error}` : r.median.toFixed(1);
    console.log(`| ${info.name} | ${r.model} | ${r.input} | ${r.batch} | ${ms} | ${r.error ? '-' : `${r.p10.toFixed(1)}-${r.p90.toFixed(1)}`} | ${r.steps} | ${r.load} |`);
  }
  await shutdownBackend();
  return rows.some((r) => r.error) ? 1 : 0;
}

// Run directly (tsx); scripts/gpu-check.sh's bundle calls main() itself.
if (process.argv[1] !== undefined && /gpu-check\.ts$/.test(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
