/**
 * Where the time of one training step goes, per kernel: the reference embedder (conv 32/64/128,
 * global average pool, fc 64, L2 norm; src/model/embedder.ts) on [B, 28, 56, 1],
 * forward + backward + Adam update, loss = mean squared distance to fixed unit targets (the loss
 * is negligible here; this measures the embedder). Prints per batch size a table (kernel, calls,
 * total ms, % of step) from tf.profile, then ms per step (median and best of --steps untimed by the
 * profiler) and inference embeddings per second.
 *
 *   node --import tsx scripts/profile-step.ts [--backend wasm] [--threads 1] [--batch 64,16]
 *       [--steps 10] [--kernels all|stock] [--top 20] [--no-profile] [--clock wall|cpu]
 *
 * --kernels stock keeps wasm's stock kernels and adds only the missing Conv2DBackpropFilter.
 * --clock cpu times with the process's CPU time instead of the wall clock: steadier on a shared
 * machine, but it adds up all threads, so it shows work rather than speed-up.
 */
import { loadavg } from 'node:os';
import { initBackend, shutdownBackend, type BackendChoice } from '../src/backend/init-backend.js';
import { createEmbedder, REFERENCE_EMBEDDER, REFERENCE_INPUT } from '../src/model/embedder.js';
import { tf } from '../src/backend/tf.js';
import { registerWasmKernels, unregisterWasmKernels } from '../src/backend/wasm-kernels/register.js';
import { Rng } from '../src/random.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const has = (name: string): boolean => args.includes(`--${name}`);

const cpuClock = flag('clock', 'wall') === 'cpu';
/** Milliseconds on the chosen clock. */
function now(): number {
  if (!cpuClock) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Model {
  variables: tf.Variable[];
  apply(x: tf.Tensor4D): tf.Tensor2D;
  source: string;
}

async function makeModel(rng: Rng): Promise<Model> {
  const e = createEmbedder(REFERENCE_EMBEDDER, REFERENCE_INPUT, rng);
  return { variables: e.variables, apply: (x) => e.apply(x), source: 'src/model/embedder.ts' };
}

function unitRows(n: number, d: number, rng: Rng): tf.Tensor2D {
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (v[i * d + k] = rng.normal()) ** 2;
    for (let k = 0; k < d; k++) v[i * d + k] /= Math.sqrt(s);
  }
  return tf.tensor2d(v, [n, d]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

async function main(): Promise<void> {
  const backend = flag('backend', 'wasm') as BackendChoice;
  const threads = has('threads') ? Number(flag('threads', '1')) : undefined;
  const batches = flag('batch', '64,16').split(',').map(Number);
  const steps = Number(flag('steps', '10'));
  const top = Number(flag('top', '20'));
  const stock = flag('kernels', 'all') === 'stock';
  const info = await initBackend({ backend, threads, customKernels: !stock });
  if (stock && info.name === 'wasm') {
    unregisterWasmKernels();
    registerWasmKernels(['Conv2DBackpropFilter']);
  }
  const rng = new Rng(1);
  const model = await makeModel(rng.fork());
  console.log(`clock: ${cpuClock ? 'process CPU time (all threads)' : 'wall'}`);
  console.log(`backend ${info.name}, ${info.threads} thread(s), kernels: ${stock ? 'stock + Conv2DBackpropFilter' : info.customKernels.join(', ') || 'stock'}; model ${model.source}`);
  if (info.notes.length > 0) console.log(`notes: ${info.notes.join('; ')}`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const summary: string[] = [];
  for (const batch of batches) {
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomUniform([batch, ...REFERENCE_INPUT], 0, 1, 'float32', 7) as tf.Tensor4D;
    const target = unitRows(batch, 64, rng);
    const step = (): void => {
      const loss = optimizer.minimize(
        () => tf.mean(tf.sum(tf.square(tf.sub(model.apply(x), target)), 1)) as tf.Scalar, true, model.variables);
      loss!.dataSync();
      loss!.dispose();
    };
    for (let i = 0; i < 2; i++) step(); // first calls compile and allocate
    const before = tf.memory().numTensors;
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = now();
      step();
      times.push(now() - t0);
    }
    const leaked = tf.memory().numTensors - before;

    if (!has('no-profile')) {
      tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
      if (cpuClock) {
        // The profiler asks the backend to time each kernel; time on the CPU clock instead.
        (tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> }).time = (f) => {
          const t0 = now();
          f();
          return Promise.resolve({ kernelMs: now() - t0 });
        };
      }
      const prof = await tf.profile(() => {
        step();
        return [];
      });
      const byKernel = new Map<string, { calls: number; ms: number }>();
      for (const k of prof.kernels) {
        const row = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
        row.calls++;
        row.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        byKernel.set(k.name, row);
      }
      const total = [...byKernel.values()].reduce((s, r) => s + r.ms, 0);
      console.log(`\nbatch ${batch}: kernels of one step (tf.profile; kernel time ${total.toFixed(1)} ms)`);
      console.log(`${pad('kernel', 24, true)} ${pad('calls', 6)} ${pad('total ms', 9)} ${pad('% of step', 9)}`);
      const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
      for (const [name, r] of rows.slice(0, top)) {
        console.log(`${pad(name, 24, true)} ${pad(r.calls, 6)} ${pad(r.ms.toFixed(1), 9)} ${pad((100 * r.ms / total).toFixed(1), 9)}`);
      }
      if (rows.length > top) {
        const rest = rows.slice(top).reduce((s, [, r]) => ({ calls: s.calls + r.calls, ms: s.ms + r.ms }), { calls: 0, ms: 0 });
        console.log(`${pad(`(${rows.length - top} others)`, 24, true)} ${pad(rest.calls, 6)} ${pad(rest.ms.toFixed(1), 9)} ${pad((100 * rest.ms / total).toFixed(1), 9)}`);
      }
    }

    // Inference: embeddings per second at this batch size, no tape.
    const inferTimes: number[] = [];
    for (let i = 0; i < steps + 2; i++) {
      const t0 = now();
      const e = tf.tidy(() => model.apply(x));
      e.dataSync();
      e.dispose();
      if (i >= 2) inferTimes.push(now() - t0);
    }
    const perSecond = (1000 * batch) / median(inferTimes);
    summary.push(
      `batch ${pad(batch, 3)}: ${pad(median(times).toFixed(1), 7)} ms/step median, ${pad(Math.min(...times).toFixed(1), 7)} best` +
      ` (${steps} steps); inference ${pad(perSecond.toFixed(0), 6)} embeddings/s; leaked tensors per ${steps} steps: ${leaked}`);
    tf.dispose([x, target]);
    optimizer.dispose();
  }
  console.log('');
  for (const line of summary) console.log(line);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await shutdownBackend();
}

await main();
