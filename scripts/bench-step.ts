/**
 * The training step, counted and timed, per step variant on one backend (docs/benchmarks.md,
 * docs/backends.md "The device step"):
 *   - trainStep (synchronous reads; cpu, wasm and tfjs-node only),
 *   - trainStepAsyncReads (record, await, replay: what webgpu used before the device step),
 *   - deviceTrainStep (one forward pass, the loss as tensor operations, reads after the update),
 * and a bare forward + backward + update of the same model (loss = sum of e * r for a fixed r),
 * the floor a step cannot go under. Per variant: forward passes per step (calls of the model's
 * apply), reads of the device before and after the update (Tensor.data / dataSync, counted by
 * scripts/step-counts.ts), blocking reads (dataSync), and ms per step: --rounds rounds, each
 * variant once per round on a fresh model from the same seed (one warm-up step, then the median
 * of --steps timed steps, each ending when its results are on the host; the bare pass awaits
 * its loss), the order of the variants reversed every other round so that none is always first
 * on a machine whose load drifts; every round is printed, and the best round of each variant is
 * compared with the bare pass's best. Inputs are random pixels, P x K labels, a memory of
 * --memory rows filled before timing.
 *
 *   node --import tsx scripts/bench-step.ts [--backend cpu|wasm|webgpu] [--rounds 3] [--steps 5] [--batch 16]
 *       [--memory 64] [--channels 16,32,64] [--dim 32] [--loss contrastive|multi-similarity]
 */
import { loadavg } from 'node:os';
import { flag, formatLoad, median } from './bench-utils.js';
import { countStep, type StepCounts } from './step-counts.js';
import type { tf as TF } from '../src/backend/tf.js';

async function main(): Promise<void> {
  const backendName = flag('backend', 'cpu') as 'cpu' | 'wasm' | 'webgpu';
  const steps = Number(flag('steps', '5'));
  const rounds = Number(flag('rounds', '3'));
  const batch = Number(flag('batch', '16'));
  const memorySize = Number(flag('memory', '64'));
  const channels = flag('channels', '16,32,64').split(',').map(Number);
  const dim = Number(flag('dim', '32'));
  const lossKind = flag('loss', 'contrastive');
  const perClass = 4;
  if (![steps, rounds, batch, memorySize, dim, ...channels].every((n) => Number.isInteger(n) && n >= 0) || steps < 1 || rounds < 1 || batch % perClass !== 0) {
    throw new Error('--steps and --rounds >= 1, --batch a multiple of 4, --memory, --dim and --channels whole numbers');
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
  process.stdout.write(`backend ${info.name}${info.name === 'wasm' ? ` (${info.threads} threads)` : ''}${info.webgpu?.adapter ? ` (${info.webgpu.adapter.description || info.webgpu.adapter.vendor})` : ''}; model cnn ${channels.join(',')} -> ${dim} at ${H} x ${W}; batch ${batch}; memory ${memorySize}; loss ${lossKind} mean-active; ${rounds} rounds of ${steps} timed steps after 1; load average at start ${formatLoad(load)}\n`);

  type Variant = { name: string; run: 'bare' | typeof trainStep | typeof trainStepAsyncReads; device: boolean };
  const variants: Variant[] = [
    { name: 'bare forward + backward + update', run: 'bare', device: false },
    ...(info.syncReads ? [{ name: 'trainStep (synchronous reads)', run: trainStep, device: false }] : []),
    { name: 'trainStepAsyncReads (record, await, replay)', run: trainStepAsyncReads, device: false },
    { name: 'deviceTrainStep', run: deviceTrainStep, device: true },
  ];
  /** One round of a variant: a fresh model from the same seed, one warm-up step, `steps` timed steps, the last one counted. */
  const round = async (v: Variant): Promise<{ ms: number; counts: StepCounts }> => {
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
    try {
      for (let s = 0; s < steps + 1; s++) {
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
        if (s === steps) counts = (await countStep(model, optimizer, one)).counts;
        else await one();
        if (s >= 1) times.push(performance.now() - t0); // step 0 warms up (kernel compilation)
      }
      return { ms: median(times), counts: counts! };
    } finally {
      r.dispose();
      optimizer.dispose();
      tf.disposeVariables();
    }
  };
  // Rounds alternate the order of the variants, so none is always the first (the machine's load drifts).
  const results = variants.map(() => [] as { ms: number; counts: StepCounts }[]);
  for (let k = 0; k < rounds; k++) {
    const order = variants.map((_, i) => i);
    if (k % 2 === 1) order.reverse();
    for (const i of order) results[i].push(await round(variants[i]));
  }
  const best = results.map((rs) => Math.min(...rs.map((r) => r.ms)));
  process.stdout.write(`\n| step | forward passes | reads before the update | reads after | blocking reads | ms per step, each round (median of ${steps}) | best | best / bare's best |\n|---|---|---|---|---|---|---|---|\n`);
  variants.forEach((v, i) => {
    const c = results[i].at(-1)!.counts;
    process.stdout.write(`| ${v.name} | ${c.forwards} | ${c.readsBeforeUpdate} | ${c.readsAfterUpdate} | ${c.blockingReads} | ${results[i].map((r) => r.ms.toFixed(1)).join(', ')} | ${best[i].toFixed(1)} | ${(best[i] / best[0]).toFixed(2)} |\n`);
  });
  process.stdout.write(`\nload average at end ${formatLoad(loadavg())} (a shared machine: ms are indicative only; the counts are exact)\n`);
}

main().catch((e) => {
  process.stderr.write(`bench-step: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
