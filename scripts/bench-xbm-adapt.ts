/**
 * The cost of each memory compensation strategy (--xbm-adapt; docs/memory-compensation.md): ms
 * per training step of the default model (conv 32/64/128, GAP, fc 64) on two-digit MNIST at batch
 * 64 with a memory as large as the train split (3,000, filled first, so every batch sample comes
 * back while a copy is stored: SDC's heaviest case), the host correction alone, and the bytes each
 * strategy holds (checkpointed) or allocates per step. Also plain XBM without the in-loss
 * staleness, which is its cost. One process, about a minute:
 *
 *   node --import tsx scripts/bench-xbm-adapt.ts [--backend wasm] [--threads 2] [--steps 12]
 *
 * The 1-minute load average at the start and the 1/5/15-minute averages before and after are
 * printed with the table; above 0.5 the table is marked "measured busy".
 */
import { loadavg } from 'node:os';
import { flag, formatLoad, loadGuard, median, quantile, timeMs } from './bench-utils.js';

const { initBackend } = await import('../src/backend/init-backend.js');
const { tf } = await import('../src/backend/tf.js');
const { loadDataset } = await import('../src/data/registry.js');
const { createSampler } = await import('../src/data/samplers.js');
const { createEmbedder } = await import('../src/model/embedder.js');
const { createLoss } = await import('../src/losses/create-loss.js');
const { CrossBatchMemory } = await import('../src/memory/cross-batch-memory.js');
const { createAdapter } = await import('../src/memory/adapt/index.js');
const { KeyEncoder } = await import('../src/train/key-encoder.js');
const { trainStep } = await import('../src/train/step.js');
const { Rng } = await import('../src/random.js');
type XbmAdaptConfig = import('../src/memory/adapt/index.js').XbmAdaptConfig;

const steps = Number(flag('steps', '12'));
const loadAtStart = loadavg()[0];
const before = formatLoad(loadavg());
const info = await initBackend({ backend: flag('backend', 'wasm') as 'wasm', threads: Number(flag('threads', '2')) });
const dataset = await loadDataset('mnist2', { dataSeed: 0 });
const B = 64;
const M = dataset.train.size;
const dim = 64;
const trainClasses = new Set(dataset.train.labels).size;

const cases: { name: string; adapt: XbmAdaptConfig; inLoss: boolean }[] = [
  { name: 'none, without the in-loss staleness', adapt: { kind: 'none' }, inLoss: false },
  { name: 'none', adapt: { kind: 'none' }, inLoss: true },
  { name: 'moments', adapt: { kind: 'moments' }, inLoss: true },
  { name: 'sdc', adapt: { kind: 'sdc' }, inLoss: true },
  { name: 'momentum (m = 0.999)', adapt: { kind: 'momentum', momentum: 0.999 }, inLoss: true },
  { name: 'refresh-by-id', adapt: { kind: 'refresh-by-id' }, inLoss: true },
];

const unitRows = (rng: InstanceType<typeof Rng>, n: number) => {
  const x = new Float32Array(n * dim).map(() => rng.normal());
  for (let j = 0; j < n; j++) {
    const norm = Math.hypot(...x.subarray(j * dim, (j + 1) * dim));
    for (let k = 0; k < dim; k++) x[j * dim + k] /= norm;
  }
  return x;
};

const rows: string[][] = [];
let baseline = NaN;
for (const c of cases) {
  const rng = new Rng(1);
  const model = createEmbedder({ kind: 'cnn', channels: [32, 64, 128], dim }, dataset.imageShape, rng.fork());
  const optimizer = tf.train.adam(1e-3);
  const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
  const sampler = createSampler({ kind: 'pk', classesPerBatch: B / 4, perClass: 4 }, dataset.train.labels, rng.fork());
  const memory = new CrossBatchMemory(M, dim);
  const ids = Int32Array.from({ length: M }, (_, i) => i);
  memory.enqueue(unitRows(rng, M), Int32Array.from(ids, (i) => dataset.train.labels[i]), ids, 0);
  const adapter = createAdapter(c.adapt, { dim, trainClasses, classesPerBatch: B / 4 });
  const keyEncoder = adapter.keyMomentum !== undefined ? new KeyEncoder(model, adapter.keyMomentum) : null;
  const wall: number[] = [];
  const cpu: number[] = [];
  let returned = 0;
  for (let s = 0; s < steps + 3; s++) {
    const batch = sampler.next();
    const labels = Int32Array.from(batch, (i) => dataset.train.labels[i]);
    const pixels = await dataset.train.loadImages(batch);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = trainStep(model, loss, optimizer, memory, { pixels, labels, sampleIds: batch, iteration: s + 1 }, {
      enqueue: true, memoryLoss: true, weight: 1, keepEmbeddings: false, adapter, keyEncoder, inLossStaleness: c.inLoss,
    });
    const t = performance.now() - t0;
    const u = process.cpuUsage(c0);
    returned = r.memoryAges?.reduce((a, b) => a + b.returned, 0) ?? returned;
    if (s >= 3) {
      // the first steps compile kernels and create the optimizer's and the key encoder's variables
      wall.push(t);
      cpu.push((u.user + u.system) / 1000);
    }
  }
  // The host correction alone, on a copy of the full memory with a batch that all came back.
  let correction = '-';
  let transient = 0;
  if (adapter.adapt) {
    const batchIds = Int32Array.from({ length: B }, (_, i) => i * 7);
    const fresh = unitRows(rng, B);
    const ret = memory.returned(fresh, batchIds, steps + 4);
    const rowsCopy = new Float32Array(memory.size * dim);
    const t = timeMs(() => {
      memory.adaptRows(({ rows: live }) => rowsCopy.set(live), fresh, ret);
      adapter.adapt!({ rows: rowsCopy, size: memory.size, dim, batch: fresh, returned: ret });
    }, 10, { warmup: true });
    correction = t.wall.toFixed(2);
    // sdc: drift and start vectors (float64) and the pairwise distances of the median heuristic; moments: two float64 vectors per moment pair
    transient = c.adapt.kind === 'sdc' ? ret.length * dim * 16 + (ret.length * (ret.length - 1)) / 2 * 8 : c.adapt.kind === 'moments' ? 4 * dim * 8 : 0;
  }
  const held = (adapter.state?.()?.byteLength ?? 0) + (keyEncoder ? (await keyEncoder.state()).reduce((a, e) => a + e.values.byteLength, 0) : 0);
  const med = median(wall);
  if (c.name === 'none') baseline = med;
  rows.push([
    c.name, med.toFixed(1), `${quantile(wall, 0.1).toFixed(1)}-${quantile(wall, 0.9).toFixed(1)}`, median(cpu).toFixed(1),
    Number.isNaN(baseline) || c.name === 'none' ? '-' : `${med - baseline >= 0 ? '+' : ''}${(med - baseline).toFixed(1)}`,
    correction, String(held), String(transient), String(returned),
  ]);
  keyEncoder?.dispose();
  optimizer.dispose();
  tf.disposeVariables();
}

const guard = loadGuard(loadAtStart, true);
const heading = ['strategy', 'ms/step (median)', 'p10-p90', 'CPU ms/step', 'vs none', 'host correction ms', 'state bytes (checkpointed)', 'bytes allocated per step', 'returned samples per step'];
console.log(`--xbm-adapt cost: ${info.name}${info.threads ? ` (${info.threads} threads)` : ''}, default model, mnist2, batch ${B}, M = ${M} (the train split, full), ${steps} steps each`);
console.log(guard.busy ? `measured busy: 1-minute load average at start ${loadAtStart.toFixed(2)} > 0.5` : `measured idle: 1-minute load average at start ${loadAtStart.toFixed(2)} <= 0.5`);
console.log(`load average (1/5/15 min) before ${before}, after ${formatLoad(loadavg())}`);
console.log('');
console.log(`| ${heading.join(' | ')} |`);
console.log(`|${heading.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
