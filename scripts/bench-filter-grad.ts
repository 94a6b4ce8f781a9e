/**
 * The wasm filter gradient (Conv2DBackpropFilter, src/backend/wasm-kernels/conv2d-backprop-filter.ts)
 * at the reference embedder's three convolutions, whole product against cache-sized chunks:
 * "unsplit" is the registered kernel (one colT of up to 16 M elements, one XNNPACK product: every
 * layer here fits), "chunked" splits the batch into chunks of --chunk colT elements (default 256 K
 * = 1 MB; at least one image), each filled and multiplied while in cache, the products summed. Rounds
 * alternate unsplit / chunked (--rounds each, each round the median of --reps calls), every round is
 * printed with the load average, and the table compares the best round of each side, on the wall
 * clock and on the process's CPU time (all threads; steadier on a shared machine).
 *
 *   node --import tsx scripts/bench-filter-grad.ts [--threads 2] [--batch 16,64] [--chunk 262144] [--rounds 3] [--reps 5]
 */
import { loadavg } from 'node:os';
import { initBackend, shutdownBackend } from '../src/backend/init-backend.js';
import { tf } from '../src/backend/tf.js';
import { conv2dBackpropFilterLimits } from '../src/backend/wasm-kernels/conv2d-backprop-filter.js';
import { flag, formatLoad, median } from './bench-utils.js';

/** The kernel's default limit: no layer of the reference embedder at batch <= 64 is split. */
const UNSPLIT = conv2dBackpropFilterLimits.maxColElements;

interface Side { name: string; maxColElements: number }

/**
 * Median ms of `reps` calls, each on a fresh copy of dy (made untimed): the wasm matMul caches
 * XNNPACK's packed copy of its second operand by tensor, so calls on the same dy would skip the
 * packing that every training step pays (up to 10x faster at the first layer).
 */
function timeKernel(inputs: { x: tf.Tensor; dy: tf.Tensor }, attrs: tf.NamedAttrMap, reps: number): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const dy = tf.add(inputs.dy, 0);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // wasm kernels run synchronously: no read-back needed.
    (tf.engine().runKernel('Conv2DBackpropFilter', { x: inputs.x, dy }, attrs) as tf.Tensor).dispose();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    dy.dispose();
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  const threads = Number(flag('threads', '2'));
  const batches = flag('batch', '16,64').split(',').map(Number);
  const rounds = Number(flag('rounds', '3'));
  const reps = Number(flag('reps', '5'));
  const sides: Side[] = [
    { name: 'unsplit', maxColElements: UNSPLIT },
    { name: 'chunked', maxColElements: Number(flag('chunk', String(256 * 1024))) },
  ];
  const saved = conv2dBackpropFilterLimits.maxColElements;
  const info = await initBackend({ backend: 'wasm', threads });
  console.log(`wasm, ${info.threads} thread(s); chunk ${sides[1].maxColElements} colT elements; median of ${reps} calls per round; load at start ${formatLoad(loadavg())}`);
  const table: string[] = [];
  for (const b of batches) {
    for (const [h, w, ci, co] of [[28, 56, 1, 32], [14, 28, 32, 64], [7, 14, 64, 128]]) {
      const label = `[${b},${h},${w},${ci}]->${co} 3x3 same`;
      const inputs = { x: tf.randomNormal([b, h, w, ci]), dy: tf.randomNormal([b, h, w, co]) };
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] } as unknown as tf.NamedAttrMap;
      const best = sides.map(() => ({ wall: Infinity, cpu: Infinity }));
      for (const side of sides) { // warm-up: kernel set-up, wasm memory growth
        conv2dBackpropFilterLimits.maxColElements = side.maxColElements;
        timeKernel(inputs, attrs, 1);
      }
      for (let r = 1; r <= rounds; r++) {
        for (const [s, side] of sides.entries()) {
          conv2dBackpropFilterLimits.maxColElements = side.maxColElements;
          const load = loadavg()[0];
          const t = timeKernel(inputs, attrs, reps);
          best[s] = { wall: Math.min(best[s].wall, t.wall), cpu: Math.min(best[s].cpu, t.cpu) };
          console.log(`  ${label} ${side.name.padEnd(7)} round ${r}: wall ${t.wall.toFixed(1)} ms, CPU ${t.cpu.toFixed(1)} ms (load ${load.toFixed(2)})`);
        }
      }
      tf.dispose(Object.values(inputs));
      const [u, c] = best;
      table.push(`| ${label} | ${u.wall.toFixed(1)} | ${c.wall.toFixed(1)} | ${(u.wall / c.wall).toFixed(2)}x | ${u.cpu.toFixed(1)} | ${c.cpu.toFixed(1)} | ${(u.cpu / c.cpu).toFixed(2)}x |`);
    }
  }
  conv2dBackpropFilterLimits.maxColElements = saved;
  console.log(`\nbest round of each side (ms per call); load at end ${formatLoad(loadavg())}`);
  console.log('| layer | unsplit wall | chunked wall | speed-up | unsplit CPU | chunked CPU | speed-up |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of table) console.log(row);
  await shutdownBackend();
}

await main();
