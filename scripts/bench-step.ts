/**
 * The training step, counted and timed, per step variant on one backend (docs/benchmarks.md,
 * docs/backends.md "The device step"):
 *   - trainStep (synchronous reads; cpu, wasm and tfjs-node only),
 *   - trainStepAsyncReads (record, await, replay: what webgpu used before the device step),
 *   - deviceTrainStep (one forward pass, the loss as tensor operations, reads after the update),
 * and a bare forward + backward + update of the same model (loss = sum of e * r for a fixed r),
 * the floor a step cannot go under. Per variant: forward passes per step (calls of the model's
 * apply), reads of the device before and after the update (Tensor.data / dataSync, counted by
 * scripts/step-counts.ts), blocking reads (dataSync), and the median ms per step after 2 warm-up
 * steps (each timed step ends when its results are on the host; the bare pass awaits its loss).
 * The ratio is the variant's ms over the bare pass's (timed first and last; the faster of the two). Inputs are random pixels, P x K labels, a
 * memory of --memory rows filled before timing.
 *
 *   node --import tsx scripts/bench-step.ts [--backend cpu|wasm|webgpu] [--steps 10] [--batch 16]
 *       [--memory 64] [--channels 16,32,64] [--dim 32] [--loss contrastive|multi-similarity]
 */
import { loadavg } from 'node:os';
import { flag, formatLoad, median } from './bench-utils.js';
import { countStep, type StepCounts } from './step-counts.js';
import type { tf as TF } from '../src/backend/tf.js';

async function main(): Promise<void> {
  const backendName = flag('backend', 'cpu') as 'cpu' | 'wasm' | 'webgpu';
  const steps = Number(flag('steps', '10'));
  const batch = Number(flag('batch', '16'));
  const memorySize = Number(flag('memory', '64'));
  const channels = flag('channels', '16,32,64').split(',').map(Number);
  const dim = Number(flag('dim', '32'));
  const lossKind = flag('loss', 'contrastive');
  const perClass = 4;
  if (![steps, batch, memorySize, dim, ...channels].every((n) => Number.isInteger(n) && n >= 0) || steps < 1 || batch % perClass !== 0) {
    throw new Error('--steps >= 1, --batch a multiple of 4, --memory, --dim and --channels whole numbers');
  }
  const { tf } = await import('../src/backend/tf.js');
  const { initBackend } = await import('../src/backend/init-backend.js');
  const { createEmbedder, REFERENCE_INPUT } = await import('../src/model/embedder.js');
  const { createLoss, LOSS_DEFAULTS } = await import('../src/losses/create-loss.js');
  const { createDeviceLoss } = await import('../src/losses/device-loss.js');
  const { CrossBatchMemory } = await import('../src/memory/cross-batch-memory.js');
  const { trainStep, trainStepAsyncReads } = await import('../src/train/step.js');
  const { deviceTrainStep } = await import('../src/train/device-step.js');
  const { Rng } = await import('../src/random.js');
  const info = await initBackend({ backend: backendName, asyncReadsOnly: true });
  const [H, W, C] = REFERENCE_INPUT;
  const lossConfig = { ...LOSS_DEFAULTS[lossKind as 'contrastive'], reducer: 'mean-active' as const };
  const load = loadavg();
  process.stdout.write(`backend ${info.name}${info.name === 'wasm' ? ` (${info.threads} threads)` : ''}${info.webgpu?.adapter ? ` (${info.webgpu.adapter.description || info.webgpu.adapter.vendor})` : ''}; model cnn ${channels.join(',')} -> ${dim} at ${H} x ${W}; batch ${batch}; memory ${memorySize}; loss ${lossKind} mean-active; ${steps} timed steps after 2; load average at start ${formatLoad(load)}\n`);

  type Variant = { name: string; run: 'bare' | typeof trainStep | typeof trainStepAsyncReads; device: boolean };
  const variants: Variant[] = [
    { name: 'bare forward + backward + update', run: 'bare', device: false },
    ...(info.syncReads ? [{ name: 'trainStep (synchronous reads)', run: trainStep, device: false }] : []),
    { name: 'trainStepAsyncReads (record, await, replay)', run: trainStepAsyncReads, device: false },
    { name: 'deviceTrainStep', run: deviceTrainStep, device: true },
    // Again at the end: on a loaded machine the first variant timed also pays for warming up.
    { name: 'bare forward + backward + update (again)', run: 'bare', device: false },
  ];
  const rows: { name: string; counts: StepCounts | null; ms: number }[] = [];
  for (const v of variants) {
    const rng = new Rng(1);
    const model = createEmbedder({ kind: 'cnn', channels, dim }, REFERENCE_INPUT, rng.fork());
    const optimizer = tf.train.adam(1e-3);
    const loss = v.device ? createDeviceLoss(lossConfig) : createLoss(lossConfig);
    const memory = memorySize > 0 ? new CrossBatchMemory(memorySize, dim) : null;
    const data = rng.fork();
    if (memory) {
      const ids = Int32Array.from({ length: memorySize }, (_, i) => -1 - i);
      const fill = new Float32Array(memorySize * dim).map(() => data.normal() / Math.sqrt(dim));
      memory.enqueue(fill, Int32Array.from(ids, (_, i) => i % (batch / perClass)), ids, 0);
    }
    const r = tf.randomNormal([batch, dim], 0, 1, 'float32', 7);
    const times: number[] = [];
    let counts: StepCounts | null = null;
    for (let s = 0; s < steps + 2; s++) {
      const input = {
        pixels: Float32Array.from({ length: batch * H * W * C }, () => data.next()),
        labels: Int32Array.from({ length: batch }, (_, i) => Math.floor(i / perClass)),
        sampleIds: Int32Array.from({ length: batch }, (_, i) => s * batch + i),
        iteration: s + 1,
      };
      const opts = { enqueue: memory !== null, memoryLoss: memory !== null, weight: 1, keepEmbeddings: false, inLossStaleness: memory !== null };
      const one = async () => {
        if (v.run === 'bare') {
          const x = tf.tensor4d(input.pixels, [batch, H, W, C]);
          const total = optimizer.minimize(() => tf.sum(tf.mul(model.apply(x), r)) as TF.Scalar, true, model.variables as TF.Variable[]);
          await total!.data();
          tf.dispose([x, total!]);
        } else {
          await v.run(model, loss, optimizer, memory, input, opts);
        }
      };
      const t0 = performance.now();
      if (s === steps + 1) counts = (await countStep(model, optimizer, one)).counts;
      else await one();
      if (s >= 2 && s < steps + 1) times.push(performance.now() - t0);
    }
    rows.push({ name: v.name, counts, ms: median(times) });
    r.dispose();
    optimizer.dispose();
    tf.disposeVariables();
  }
  const bare = Math.min(rows[0].ms, rows[rows.length - 1].ms);
  process.stdout.write('\n| step | forward passes | reads before the update | reads after | blocking reads | ms per step (median) | x bare (the faster) |\n|---|---|---|---|---|---|---|\n');
  for (const row of rows) {
    const c = row.counts!;
    process.stdout.write(`| ${row.name} | ${c.forwards} | ${c.readsBeforeUpdate} | ${c.readsAfterUpdate} | ${c.blockingReads} | ${row.ms.toFixed(1)} | ${(row.ms / bare).toFixed(2)} |\n`);
  }
  process.stdout.write(`\nload average at end ${formatLoad(loadavg())} (a shared machine: ms are indicative only; the counts are exact)\n`);
}

main().catch((e) => {
  process.stderr.write(`bench-step: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
