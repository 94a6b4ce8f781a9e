/**
 * The warm-up study (README "Warm-up study"): with the same seed and budget on the default
 * dataset, train without XBM, with XBM from iteration 0, from a few fixed starts, with the auto
 * start, and with the auto start plus the guard. Writes study.csv and study.md into --out and
 * prints the Markdown table.
 *
 *   node --import tsx scripts/warmup-study.ts [--out runs/warmup-study] [--iterations 600]
 *       [--xbm-size 3000] [--starts 100,300] [--backend auto] [--dataset mnist2] [--seed 1]
 *       [--arms no-xbm,xbm-auto]   (a subset of the arms, by the folder name each arm gets)
 */
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolveTrainConfig, type TrainFlags } from '../src/config/train-config.js';
import { train } from '../src/train/trainer.js';
import { writeCsv } from '../src/io/csv.js';
import type { RunRecord } from '../src/io/formats/run-record.js';
import { flag } from './bench-utils.js';

const args = process.argv.slice(2);
const out = flag('out', 'runs/warmup-study');
const iterations = Number(flag('iterations', '600'));
const xbmSize = Number(flag('xbm-size', '3000'));
const starts = flag('starts', `${Math.round(iterations / 6)},${Math.round(iterations / 2)}`).split(',').map(Number);
const common: Omit<TrainFlags, 'out'> = {
  dataset: flag('dataset', 'mnist2'),
  backend: flag('backend', 'auto') as TrainFlags['backend'],
  seed: Number(flag('seed', '1')),
  iterations,
  evalEvery: Math.max(1, Math.round(iterations / 6)),
  snapshotEvery: Number(flag('snapshot-every', '25')),
  snapshotOffsets: flag('snapshot-offsets', '5'),
  probeSize: Number(flag('probe-size', '512')),
  ...(args.includes('--lr') ? { lr: Number(flag('lr', '0.001')) } : {}),
  ...(args.includes('--schedule') ? { schedule: flag('schedule', 'constant') as TrainFlags['schedule'] } : {}),
  ...(args.includes('--lr-step') ? { lrStep: Number(flag('lr-step', '0')) } : {}),
};

const arms: { name: string; flags: Partial<TrainFlags> }[] = [
  { name: 'no XBM', flags: {} },
  { name: 'XBM from 0', flags: { xbmSize, xbmStart: '0' } },
  ...starts.map((s) => ({ name: `XBM from ${s}`, flags: { xbmSize, xbmStart: String(s) } })),
  { name: 'XBM auto', flags: { xbmSize, xbmStart: 'auto' } },
  { name: 'XBM auto + guard', flags: { xbmSize, xbmStart: 'auto', xbmGuard: true } },
];

const slug = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const only = args.includes('--arms') ? new Set(flag('arms', '').split(',')) : null;
const selected = arms.filter((a) => !only || only.has(slug(a.name)));
// Every arm's flags are validated before any trains: a bad one fails now, not after hours.
const planned = selected.map((arm) => {
  const dir = join(out, slug(arm.name));
  return { arm, dir, config: resolveTrainConfig({ ...common, ...arm.flags, out: dir }) };
});
mkdirSync(out, { recursive: true });
const rows: Record<string, string | number>[] = [];
for (const { arm, dir, config } of planned) {
  process.stderr.write(`\n== ${arm.name} -> ${dir}\n`);
  const r: RunRecord = await train(config, { overwrite: true });
  rows.push({
    arm: arm.name,
    r_at_1: r.final?.recall_at_1 ?? NaN,
    map_at_r: r.final?.map_at_r ?? NaN,
    collapsed: r.collapse?.collapsed ? 'yes' : 'no',
    start: r.xbm.size === 0 ? 'off' : r.xbm.start === null ? 'never' : r.xbm.start,
    pauses: r.xbm.events.filter((e) => e.kind === 'xbm-pause').length,
    ms_per_iteration: Math.round(r.timings.msPerIteration),
    wall_s: Math.round(r.timings.wallSeconds),
    backend: r.backend.name,
    run: dir,
  });
}
const columns = ['arm', 'r_at_1', 'map_at_r', 'collapsed', 'start', 'pauses', 'ms_per_iteration', 'wall_s', 'backend', 'run'];
await writeCsv(join(out, 'study.csv'), columns, rows);
const fmt = (v: string | number) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
const md = [
  `Warm-up study, ${new Date().toISOString().slice(0, 10)}: ${common.dataset}, ${iterations} iterations, M = ${xbmSize}, seed ${common.seed}.`,
  '',
  `| ${columns.slice(0, 8).join(' | ')} |`,
  `|${columns.slice(0, 8).map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${columns.slice(0, 8).map((c) => fmt(r[c])).join(' | ')} |`),
].join('\n');
writeFileSync(join(out, 'study.md'), md + '\n');
console.log('\n' + md);
