/**
 * The GPU benchmark of scripts/gpu-check.sh (issue 13): training ms/step on the webgpu backend of
 * (1) the reference embedder (conv 32/64/128, GAP, fc 64) on 28 x 56 x 1 at batch 64 and 16,
 * (2) the trainer's webgpu steps (the device step, and the record/replay fallback) at batch 64 without and with XBM, and
 * (3) a MobileNet-class LayersModel (MobileNet v1, width 1.0, 3.2 M parameters, 64-d embedding
 * head) at 224 x 224 x 3, batch 32, built here with tf.layers (no download). Synthetic inputs;
 * the loss is a contrastive loss on cosine similarities of a P x 4 batch; one Adam step per
 * iteration, timed to the end of the GPU work (await loss.data()). Reads are asynchronous only:
 * tfjs-backend-webgpu's dataSync needs OffscreenCanvas, which Node lacks.
 *
 *   node --import tsx scripts/gpu-check.ts [--backend webgpu] [--steps 10] [--cases reference,trainer,mobilenet] [--size 224]
 */
import { pathToFileURL } from 'node:url';
import { flag } from './bench-utils.js';
import { timeMobileNet, timeModelSteps, timeSteps, type StepTiming } from './step-timing.js';
import { initBackend, shutdownBackend, type BackendChoice } from '../src/backend/init-backend.js';
import { describeAdapter } from '../src/backend/webgpu.js';
import { tf } from '../src/backend/tf.js';
import { createEmbedder, REFERENCE_EMBEDDER, REFERENCE_INPUT } from '../src/model/embedder.js';
import { Rng } from '../src/random.js';
import { createLoss } from '../src/losses/create-loss.js';
import { CrossBatchMemory } from '../src/memory/cross-batch-memory.js';
import { trainStepAsyncReads } from '../src/train/step.js';
import { deviceTrainStep } from '../src/train/device-step.js';
import { createDeviceLoss } from '../src/losses/device-loss.js';

/**
 * A trainer's webgpu step on the reference embedder, contrastive loss, with a memory of `memory`
 * random unit rows (6,000 = two-digit MNIST's train split) or none: the device step (what the
 * trainer uses: one forward pass, the loss as tensor operations) or the record/replay step
 * (trainStepAsyncReads: the host loss kernel, record / await / replay; the fallback).
 */
async function timeTrainerStep(batch: number, memory: number, steps: number, device: boolean): Promise<StepTiming> {
  const name = `${device ? 'device step' : 'record/replay step'}, reference embedder${memory ? ` + XBM (M = ${memory})` : ''}`;
  const rng = new Rng(3);
  const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, rng.fork());
  const optimizer = tf.train.adam(1e-3);
  const loss = device ? createDeviceLoss({ kind: 'contrastive', margin: 0.5 }) : createLoss({ kind: 'contrastive', margin: 0.5 });
  const xbm = memory ? new CrossBatchMemory(memory, REFERENCE_EMBEDDER.dim) : null;
  if (xbm) {
    const ids = Int32Array.from({ length: memory }, (_, i) => i);
    const rows = new Float32Array(memory * REFERENCE_EMBEDDER.dim).map(() => rng.normal() / 8);
    xbm.enqueue(rows, Int32Array.from(ids, (i) => i % 50), ids, 0);
  }
  const [h, w, c] = REFERENCE_INPUT;
  // Inputs made before the clock starts: only the step is timed.
  const inputs = Array.from({ length: steps + 2 }, (_, s) => ({
    pixels: Float32Array.from({ length: batch * h * w * c }, () => rng.next()),
    labels: Int32Array.from({ length: batch }, (_, i) => Math.floor(i / 4) % 50),
    sampleIds: Int32Array.from({ length: batch }, (_, i) => memory + s * batch + i),
    iteration: s + 1,
  }));
  try {
    return await timeSteps(name, REFERENCE_INPUT, batch, steps, 2, async (s) => {
      await (device ? deviceTrainStep : trainStepAsyncReads)(model, loss, optimizer, xbm, inputs[s], { enqueue: xbm !== null, memoryLoss: xbm !== null, weight: 1, keepEmbeddings: false });
    });
  } finally {
    optimizer.dispose();
    tf.dispose(model.variables);
  }
}

export async function main(): Promise<number> {
  const backend = flag('backend', 'webgpu') as BackendChoice;
  const steps = Number(flag('steps', '10'));
  const cases = flag('cases', 'reference,trainer,mobilenet').split(',');
  const size = Number(flag('size', '224')); // smaller only for a smoke test
  let info;
  try {
    info = await initBackend({ backend, asyncReadsOnly: true });
  } catch (e) {
    console.log(`GPU check: no benchmark: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const adapter = info.webgpu?.adapter ? describeAdapter(info.webgpu.adapter) : info.webgpu?.reason ?? '-';
  const rows: StepTiming[] = [];
  if (cases.includes('reference')) {
    for (const batch of [64, 16]) {
      const model = createEmbedder({ ...REFERENCE_EMBEDDER, channels: [...REFERENCE_EMBEDDER.channels] }, REFERENCE_INPUT, new Rng(1));
      rows.push(await timeModelSteps('reference embedder', REFERENCE_INPUT, batch, steps, (x) => model.apply(x), model.variables));
      tf.dispose(model.variables);
    }
  }
  if (cases.includes('trainer')) {
    for (const memory of [0, 6000]) for (const device of [true, false]) rows.push(await timeTrainerStep(64, memory, steps, device));
  }
  if (cases.includes('mobilenet')) {
    rows.push(await timeMobileNet(size, steps));
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
