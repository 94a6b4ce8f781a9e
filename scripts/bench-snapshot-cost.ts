/**
 * The cost of the default snapshot schedule during training (docs/benchmarks.md): the same
 * training run (default model, batch and dataset; same seed) with the default schedule and with
 * snapshots off, as a ratio of wall time. Evaluation runs only at the end in both.
 *
 *   node --import tsx scripts/bench-snapshot-cost.ts [--iterations 200] [--backend auto] [--out runs/bench-snapshots]
 */
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { runPaths } from '../src/io/run-paths.js';
import { loadavg, cpus } from 'node:os';
import { resolveTrainConfig, DEFAULTS } from '../src/config/train-config.js';
import { train } from '../src/train/trainer.js';
import { flag } from './bench-utils.js';

const iterations = Number(flag('iterations', '200'));
const out = flag('out', 'runs/bench-snapshots');
const backend = flag('backend', 'auto') as 'auto';
const load = loadavg()[0].toFixed(2);
const rows: { name: string; wall: number; snapshots: number; snapshotSeconds: number; train: number }[] = [];
for (const [name, snapshotEvery] of [['default schedule', DEFAULTS.snapshotEvery], ['no snapshots', 0]] as const) {
  const dir = join(out, name.replace(' ', '-'));
  const r = await train(resolveTrainConfig({ out: dir, iterations, evalEvery: 0, snapshotEvery, backend, checkpointEvery: 0 }), { overwrite: true, quiet: true });
  const snapshotDir = runPaths(dir).snapshots;
  const snapshots = existsSync(snapshotDir) ? readdirSync(snapshotDir).length : 0;
  rows.push({ name, wall: r.timings.wallSeconds, snapshots, snapshotSeconds: r.timings.snapshotSeconds, train: r.timings.trainSeconds });
}
console.log(`\nSnapshot cost, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model}, load average at start ${load}, ${iterations} iterations, probe ${DEFAULTS.probeSize}, every ${DEFAULTS.snapshotEvery} + offsets ${DEFAULTS.snapshotOffsets.join(',')}\n`);
console.log('| run | wall s | training steps s | snapshot s | snapshots |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.wall.toFixed(1)} | ${r.train.toFixed(1)} | ${r.snapshotSeconds.toFixed(1)} | ${r.snapshots} |`);
const [withS, without] = rows;
console.log(`\nwall-time ratio with / without snapshots: ${(withS.wall / without.wall).toFixed(3)} (target <= 1.10); ` +
  `snapshot share of the run with them: ${((100 * withS.snapshotSeconds) / withS.wall).toFixed(1)}%`);
