/**
 * The smart-mining study (README "Smart mining"): baseline, XBM and Smart Mining (Harwood et al.
 * 2017) at the same iteration budget, batch and seeds, on (a) the default dataset from scratch and
 * (b) the pretrained regime (DEMO_REGIME: mnist3, the builtin:digits backbone, lr 1e-4). Prints
 * and writes (study.csv, study.md) R@1 and MAP@R as mean ± spread over seeds, ms per iteration,
 * wall time and the index refreshes' time, and a report page per regime (report-<regime>/).
 *
 * Resumable: a run that completed with the planned configuration is reused, an interrupted one is
 * resumed from its checkpoint, anything else is trained afresh. Ctrl-C stops after the current
 * iteration with a checkpoint; run the same command again to continue.
 *
 *   node --import tsx scripts/smart-mining-study.ts [--out runs/smart-mining-study]
 *       [--seeds 3] [--regimes default,pretrained] [--arms baseline,xbm,smart] (also smart-triplet, global)
 *       [--iterations N (both regimes)] [--iterations-default 250] [--iterations-pretrained 120]
 *       [--xbm-size 1000] [--index hnsw] [--backend auto]
 *
 * Sized for about 35 minutes on 2 cores (README "Smart mining"); the smoke test is
 * `--iterations 10 --seeds 1`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTrainConfig, type TrainFlags } from '../src/config/train-config.js';
import { DEMO_REGIME } from '../src/demo/demo.js';
import { writeCsv } from '../src/io/csv.js';
import type { RunRecord } from '../src/io/formats/run-record.js';
import { buildReport } from '../src/report/build-report.js';
import { renderReport } from '../src/report/render-report.js';
import { flag } from './bench-utils.js';
import { interruptSignal, markdownTable, mean, meanPm, runPlanned, type PlannedRun } from './study-runs.js';

const args = process.argv.slice(2);
const has = (name: string) => args.includes(`--${name}`);
const out = flag('out', 'runs/smart-mining-study');
const seeds = Array.from({ length: Number(flag('seeds', '3')) }, (_, i) => i + 1);
const regimesWanted = flag('regimes', 'default,pretrained').split(',');
const armsWanted = flag('arms', 'baseline,xbm,smart').split(',');
const backend = flag('backend', 'auto') as TrainFlags['backend'];
const xbmSize = Number(flag('xbm-size', '1000'));
const index = flag('index', 'hnsw') as TrainFlags['index'];
const iterationsOf = (regime: string, dflt: string) => Number(has('iterations') ? flag('iterations', dflt) : flag(`iterations-${regime}`, dflt));

/** The two regimes: what differs between them. Everything else is the trainer's default (batch 64 = 16 x 4). */
const REGIMES: { name: string; iterations: number; flags: Omit<TrainFlags, 'out'> }[] = [
  { name: 'default', iterations: iterationsOf('default', '250'), flags: {} },
  {
    name: 'pretrained',
    iterations: iterationsOf('pretrained', '120'),
    // The quick demo's data size (500 classes x 4 images): the index embeds the whole split at each refresh.
    flags: { dataset: DEMO_REGIME.dataset, backbone: DEMO_REGIME.backbone, lr: DEMO_REGIME.lr, imagesPerClass: 4 },
  },
].filter((r) => regimesWanted.includes(r.name));

/**
 * The arms, all built on the triplet loss (the one Smart Mining trains with): baseline, the P x K
 * batch alone; XBM, the batch plus a memory of `xbmSize` started at a fifth of the budget; smart,
 * the paper's method: batches mined from the index (refreshed five times per run) and its global
 * loss added (triplet-global). Smart differs from the baseline in two things at once, so two more
 * arms (not run by default) separate them: smart-triplet, the mined batches with the plain triplet
 * loss, and global, the baseline's batches with triplet-global.
 */
const ARMS = ['baseline', 'xbm', 'smart', 'smart-triplet', 'global'] as const;
function armFlags(arm: string, iterations: number): Partial<TrainFlags> {
  const fifth = Math.max(1, Math.round(iterations / 5));
  if (arm === 'baseline') return { loss: 'triplet' };
  if (arm === 'xbm') return { loss: 'triplet', xbmSize, xbmStart: String(fifth) };
  if (arm === 'smart') return { loss: 'triplet-global', batchMining: 'smart', index, indexRefresh: fifth };
  if (arm === 'smart-triplet') return { loss: 'triplet', batchMining: 'smart', index, indexRefresh: fifth };
  if (arm === 'global') return { loss: 'triplet-global' };
  throw new Error(`unknown arm ${arm}: use ${ARMS.join(', ')}`);
}

interface Planned extends PlannedRun { regime: string; arm: string; seed: number }
// Every run's flags are validated before any trains: a bad one fails now, not after half an hour.
const planned: Planned[] = REGIMES.flatMap((regime) => armsWanted.flatMap((arm) => seeds.map((seed) => {
  const dir = join(out, regime.name, `${arm}-seed${seed}`);
  const flags: TrainFlags = {
    ...regime.flags, ...armFlags(arm, regime.iterations), seed, backend, out: dir, iterations: regime.iterations,
    evalEvery: Math.max(1, Math.round(regime.iterations / 4)), snapshotEvery: 0, checkpointEvery: Math.max(1, Math.round(regime.iterations / 5)),
  };
  return { regime: regime.name, arm, seed, dir, label: `${regime.name} ${arm} seed ${seed}`, config: resolveTrainConfig(flags) };
})));

const signal = interruptSignal();
mkdirSync(out, { recursive: true });
const started = Date.now();
const results: { p: Planned; r: RunRecord }[] = [];
for (const p of planned) {
  const r = await runPlanned(p, signal);
  if (r.status === 'interrupted') {
    process.stderr.write(`Interrupted: run the same command again to continue from ${p.dir}.\n`);
    process.exit(130);
  }
  results.push({ p, r });
}

// One row per run, then mean ± spread (sample standard deviation) per regime and arm.
const runRows = results.map(({ p, r }) => ({
  regime: p.regime, arm: p.arm, seed: p.seed, status: r.status,
  r_at_1: r.final?.recall_at_1 ?? NaN, map_at_r: r.final?.map_at_r ?? NaN,
  ms_per_iteration: r.timings.msPerIteration, wall_s: r.timings.wallSeconds,
  refresh_s: r.smartMining?.refreshSeconds ?? 0, index_recall: r.smartMining?.meanRecall ?? NaN,
  adjustments: r.smartMining?.adjustments.length ?? 0, collapsed: r.collapse?.collapsed ? 'yes' : 'no', backend: r.backend.name, run: p.dir,
}));
await writeCsv(join(out, 'study.csv'), Object.keys(runRows[0] ?? { regime: '' }), runRows);

const header = ['regime', 'arm', 'iterations', 'seeds', 'R@1', 'MAP@R', 'ms/iteration', 'wall s', 'refresh s'];
const table = REGIMES.flatMap((regime) => armsWanted.map((arm) => {
  const rows = runRows.filter((x) => x.regime === regime.name && x.arm === arm);
  return [regime.name, arm, String(regime.iterations), String(rows.length), meanPm(rows.map((x) => x.r_at_1), 3), meanPm(rows.map((x) => x.map_at_r), 3),
    mean(rows.map((x) => x.ms_per_iteration)).toFixed(0), mean(rows.map((x) => x.wall_s)).toFixed(0), mean(rows.map((x) => x.refresh_s)).toFixed(1)];
}));
const md = [
  `Smart-mining study, ${new Date().toISOString().slice(0, 10)}: seeds ${seeds.join(', ')}; batch 64 (16 x 4), triplet loss (smart: triplet-global); ` +
    `XBM M = ${xbmSize} from a fifth of the budget; smart: --index ${index}, refresh every fifth of the budget. Mean ± sample SD over seeds; ` +
    'ms/iteration is the median step (refreshes excluded); wall s includes evaluation and refreshes; refresh s is embedding the split and building the index.',
  '',
  markdownTable(header, table),
  '',
].join('\n');
writeFileSync(join(out, 'study.md'), md);
process.stdout.write(`\n${md}\n`);

for (const regime of REGIMES) {
  const dirs = results.filter(({ p }) => p.regime === regime.name).map(({ p }) => p.dir);
  if (dirs.length === 0) continue;
  const report = await buildReport(dirs);
  const dest = join(out, `report-${regime.name}`);
  await renderReport(report, dest);
  process.stdout.write(`report: ${join(dest, 'index.html')}\n`);
}
process.stdout.write(`study: ${results.length} runs, ${((Date.now() - started) / 60000).toFixed(1)} min this session; ${join(out, 'study.md')}\n`);
