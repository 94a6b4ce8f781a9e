/**
 * Drift analysis speed on synthetic snapshots of 10,000 x 128 float32 (the probe size and width of
 * a typical run). Prints one table. Throughput counts, per pair, the embedding bytes of both
 * snapshots: 2 x 10,000 x 128 x 4 B = 10.24 MB (MB = 1e6 bytes); the two Int32 columns are not
 * counted. Target: >= 1,000 MB/s for the drift analysis.
 *
 *   node --import tsx scripts/bench-drift.ts [--snapshots 24]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { computeDrift, pairDrift } from '../src/analysis/drift.js';
import { nearestNeighbours } from '../src/analysis/neighbour-churn.js';
import { writeProbe } from '../src/io/probe-file.js';
import { runPaths } from '../src/io/run-paths.js';
import { readSnapshot, writeSnapshot } from '../src/io/snapshot-file.js';
import { SnapshotReader } from '../src/io/snapshot-reader.js';
import { Rng } from '../src/random.js';
import { flag, timeMs } from './bench-utils.js';

const N = 10_000;
const DIM = 128;
const SNAPSHOTS = Number(flag('snapshots', '24'));
const MB = 1e6;


const rng = new Rng(2020);
const unit = (count: number) => {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() / Math.sqrt(DIM);
  return out;
};

const dir = mkdtempSync(join(tmpdir(), 'xbm-bench-drift-'));
const rows: [string, string, string, string][] = [];
const ms = (t: number) => `${t.toFixed(1)} ms`;
const rate = (bytes: number, t: number) => `${(bytes / MB / (t / 1000)).toFixed(0)} MB/s`;
try {
  const paths = runPaths(dir);
  const sampleIds = Int32Array.from({ length: N }, (_, i) => i);
  const labels = Int32Array.from({ length: N }, (_, i) => i % 100);
  writeProbe(paths.probe, { runId: 'bench', sampleIds, labels });
  // Iterations 0, 10, 20, ...: gap 10 is the neighbour, gap 100 is ten snapshots back.
  const iterations = Array.from({ length: SNAPSHOTS }, (_, i) => i * 10);
  let emb = unit(N * DIM);
  const first = emb;
  for (const t of iterations) {
    emb = emb.map((v) => v + 0.01 * rng.normal());
    writeSnapshot(paths.snapshot(t), { runId: 'bench', iteration: t, sampleIds, labels, embeddings: emb, dim: DIM, normalized: false });
  }
  const path0 = paths.snapshot(0);
  const pairBytes = 2 * N * DIM * 4;

  const writeMs = timeMs(() => writeSnapshot(join(dir, 'w.arrow'), { runId: 'bench', iteration: 0, sampleIds, labels, embeddings: first, dim: DIM, normalized: false }), 9);
  const readMs = timeMs(() => readSnapshot(path0), 9);
  rows.push(['snapshot write (10,000 x 128, atomic)', ms(writeMs.wall), ms(writeMs.cpu), '']);
  rows.push(['snapshot read (zero-copy view, checked)', ms(readMs.wall), ms(readMs.cpu), 'fresh buffer']);
  let reuse: Buffer | undefined;
  const reader = SnapshotReader.open(dir);
  const rereadMs = timeMs(() => {
    reuse = reader.read(0, reuse).buffer;
  }, 9);
  rows.push(['snapshot read into a reused buffer', ms(rereadMs.wall), ms(rereadMs.cpu), 'what computeDrift does']);
  const size = `${(statSync(path0).size / MB).toFixed(2)} MB`;
  rows.push(['snapshot file size', size, size, `embeddings ${(N * DIM * 4 / MB).toFixed(2)} MB`]);

  const a = readSnapshot(paths.snapshot(0)).embeddings;
  const b = readSnapshot(paths.snapshot(10)).embeddings;
  pairDrift(a, b, DIM); // warm up the JIT
  const kernelMs = timeMs(() => pairDrift(a, b, DIM), 21);
  rows.push(['pairDrift (in memory, stats included)', rate(pairBytes, kernelMs.wall), rate(pairBytes, kernelMs.cpu), `${kernelMs.cpu.toFixed(2)} ms CPU per pair`]);

  for (const [label, gaps] of [
    ['computeDrift, gaps 10,20,30 (cache hits)', [10, 20, 30]],
    ['computeDrift, gaps 10,100 (far reads)', [10, 100]],
    ['computeDrift, gap 100 only (2 reads/pair)', [100]],
  ] as [string, number[]][]) {
    computeDrift(SnapshotReader.open(dir), gaps); // warm the page cache and the JIT
    let stats = { pairs: 0, snapshotsRead: 0, bytesCompared: 0, peakSnapshotsHeld: 0 };
    const t = timeMs(() => {
      stats = computeDrift(SnapshotReader.open(dir), gaps).stats;
    }, 3);
    rows.push([
      label,
      rate(stats.bytesCompared, t.wall),
      rate(stats.bytesCompared, t.cpu),
      `${stats.pairs} pairs, ${stats.snapshotsRead} reads, ${(t.cpu / stats.pairs).toFixed(2)} ms CPU/pair, peak ${stats.peakSnapshotsHeld} held`,
    ]);
  }

  const m = 2000;
  const nnMs = timeMs(() => nearestNeighbours(a.subarray(0, m * DIM), DIM, 'cosine'), 3);
  rows.push([`neighbour search, ${m} of ${N} samples, per snapshot`, ms(nnMs.wall), ms(nnMs.cpu), 'O(n^2 d), --neighbour-limit']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const head: [string, string, string, string] = ['measure', 'wall', 'CPU time', 'note'];
const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => `${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padStart(w[2])}  ${r[3]}`;
console.log(`drift benchmark: ${N} x ${DIM} float32 snapshots, ${SNAPSHOTS} in the run, node ${process.version}, ` +
  `${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log('throughput = pairs x 2 x 10,000 x 128 x 4 bytes (both snapshots\' embeddings) / time; target >= 1,000 MB/s');
console.log('wall = elapsed time; CPU = this process\'s user + system time, which other jobs on a shared machine inflate less');
