/**
 * --micro-batch's memory (docs/benchmarks.md "Micro-batch memory"): the peak tensor bytes of one
 * training step of a MobileNet-class model (scripts/step-timing.ts, BatchNorm on inference
 * statistics as the trainer runs a backbone, 64-d head, L2 norm) with a contrastive loss and a
 * memory, at each batch with and without --micro-batch; beside it the estimate the trainer checks
 * before its first step (src/train/step-memory.ts) and ms per step.
 *
 * Peak bytes are TensorFlow.js's own count of live tensor bytes (tf.profile), the same on every
 * backend; ms per step is the median of --steps steps after one warm-up, without profiling.
 *
 * --estimate-only prints the estimates alone, without a step: a size whose steps take minutes
 * (224 x 224) in seconds.
 *
 *   node --import tsx scripts/bench-micro-batch.ts [--backend wasm] [--threads 1] [--size 64]
 *       [--batches 16,32,64] [--micro 4,16] [--memory 512] [--steps 2] [--estimate-only]
 */
import { loadavg } from 'node:os';
import { flag, formatLoad, median } from './bench-utils.js';
import { buildMobileNet } from './step-timing.js';
import { initBackend, shutdownBackend, type BackendChoice } from '../src/backend/init-backend.js';
import { tf } from '../src/backend/tf.js';
import { l2Normalize, type Embedder } from '../src/model/embedder.js';
import { createLoss } from '../src/losses/create-loss.js';
import { LOSS_DEFAULTS } from '../src/losses/registry.js';
import type { LossConfig } from '../src/losses/registry.js';
import { CrossBatchMemory } from '../src/memory/cross-batch-memory.js';
import { trainStep, type StepInput } from '../src/train/step.js';
import { trainStepMicroBatched } from '../src/train/gradient-cache.js';
import { measureStepMemory, peakTensorBytes, stepBytes } from '../src/train/step-memory.js';
import { Rng } from '../src/random.js';

const MB = 2 ** 20;
const ints = (s: string) => s.split(',').filter((x) => x !== '').map(Number);

/** MobileNet v1 as the trainer runs a LayersModel backbone: BatchNorm on its inference statistics, then L2 norm. */
function mobileNetEmbedder(size: number, dim: number): Embedder & { dispose(): void } {
  const net = buildMobileNet(dim, size);
  return {
    config: { kind: 'backbone', backbone: { source: 'MobileNet v1 (scripts/step-timing.ts)', lrMult: 1, freeze: false }, dim },
    inputShape: [size, size, 3],
    dim,
    variables: net.trainableWeights.map((w) => w.read() as tf.Variable),
    apply: (x) => tf.tidy(() => l2Normalize(net.apply(x, { training: false }) as tf.Tensor2D)),
    dispose: () => net.dispose(),
  };
}

async function main(): Promise<void> {
  const backend = flag('backend', 'wasm') as BackendChoice;
  const info = await initBackend({ backend, threads: Number(flag('threads', '1')) });
  const size = Number(flag('size', '64'));
  const memoryRows = Number(flag('memory', '512'));
  const steps = Number(flag('steps', '2'));
  const loss = createLoss(LOSS_DEFAULTS.contrastive as LossConfig);
  const rng = new Rng(1);
  console.log(`backend ${info.name} (${info.threads} thread(s)); MobileNet v1 at ${size} x ${size} x 3, 64-d head; contrastive, memory of ${memoryRows}; load average ${formatLoad(loadavg())}\n`);
  console.log('| batch | micro-batch | peak MB (measured) | peak MB (estimated) | ms/step (median) |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const batch of ints(flag('batches', '16,32,64'))) {
    for (const micro of [undefined, ...ints(flag('micro', '4,16')).filter((m) => m < batch)]) {
      const model = mobileNetEmbedder(size, 64);
      const optimizer = tf.train.adam(1e-4);
      const memory = new CrossBatchMemory(memoryRows, 64);
      const estimate = stepBytes(await measureStepMemory(model, 'adam', false), { batch, microBatch: micro, memoryRows });
      if (process.argv.includes('--estimate-only')) {
        console.log(`| ${batch} | ${micro ?? '-'} | - | ${(estimate / MB).toFixed(0)} | - |`);
        optimizer.dispose();
        model.dispose();
        tf.disposeVariables();
        continue;
      }
      const input = (iteration: number): StepInput => ({
        pixels: Float32Array.from({ length: batch * size * size * 3 }, () => rng.next()),
        labels: Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4)),
        sampleIds: Int32Array.from({ length: batch }, (_, i) => (iteration * batch + i) % memoryRows),
        iteration,
      });
      const step = (t: number) => {
        const opts = { enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false };
        if (micro === undefined) trainStep(model, loss, optimizer, memory, input(t), opts);
        else trainStepMicroBatched(model, loss, optimizer, memory, input(t), opts, micro);
      };
      // Fill the memory first, so the loss reads all of it; the first step also creates Adam's slots.
      while (memory.size < memoryRows) memory.enqueue(new Float32Array(batch * 64).map(() => rng.normal() / 8), input(0).labels, input(0).sampleIds, 0);
      step(0);
      const times: number[] = [];
      for (let t = 1; t <= steps; t++) {
        const t0 = performance.now();
        step(t);
        times.push(performance.now() - t0);
      }
      const held = tf.memory().numBytes;
      const peak = held + (await peakTensorBytes(() => step(steps + 1)));
      const row = `| ${batch} | ${micro ?? '-'} | ${(peak / MB).toFixed(0)} | ${(estimate / MB).toFixed(0)} | ${median(times).toFixed(0)} |`;
      console.log(row);
      optimizer.dispose();
      model.dispose();
      tf.disposeVariables();
    }
  }
  console.log(`\nload average at the end ${formatLoad(loadavg())}`);
  await shutdownBackend();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
