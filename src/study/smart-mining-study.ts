/**
 * The smart-mining study (docs/smart-mining.md): baseline, XBM and Smart Mining (Harwood et al.
 * 2017) at the same iteration budget, batch and seeds, on (a) the default dataset from scratch and
 * (b) the pretrained regime (DEMO_REGIME). R@1 and MAP@R as mean ± SD over seeds, ms per
 * iteration, wall time and the index refreshes' time, and a report page per regime.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainFlags } from '../config/train-config.js';
import { DEMO_REGIME } from '../demo/demo.js';
import { writeCsv } from '../io/csv.js';
import type { RunRecord } from '../io/formats/run-record.js';
import { buildReport } from '../report/build-report.js';
import { renderReport } from '../report/render-report.js';
import type { ClusterOptions } from './args.js';
import { emitRuns, type EmitMode } from './cluster.js';
import { outcomeOf } from './outcome.js';
import { planRun, runAllPlanned, type PlannedRun, type RunDeps } from './run-plan.js';
import { markdownTable, mean, meanPm } from './summary-table.js';

export interface SmartRegime {
  name: string;
  iterations: number;
  flags: Omit<TrainFlags, 'out'>;
}

export const SMART_REGIME_NAMES = ['default', 'pretrained'] as const;
export const SMART_BUDGETS: Readonly<Record<string, number>> = { default: 250, pretrained: 120 };

/** The two regimes: what differs between them. Everything else is the trainer's default (batch 64 = 16 x 4). */
export function smartRegimes(budget: (name: string) => number): SmartRegime[] {
  return [
    { name: 'default', iterations: budget('default'), flags: {} },
    // The quick demo's data size (500 classes x 4 images): the index embeds the whole split at each refresh.
    { name: 'pretrained', iterations: budget('pretrained'), flags: { dataset: DEMO_REGIME.dataset, backbone: DEMO_REGIME.backbone, lr: DEMO_REGIME.lr, imagesPerClass: 4 } },
  ];
}

/**
 * The arms, all built on the triplet loss (the one Smart Mining trains with): baseline, the P x K
 * batch alone; XBM, the batch plus a memory of `xbmSize` started at a fifth of the budget; smart,
 * the paper's method: batches mined from the index (refreshed five times per run) and its global
 * loss added (triplet-global). Smart differs from the baseline in two things at once, so two more
 * arms (not run by default) separate them: smart-triplet, the mined batches with the plain triplet
 * loss, and global, the baseline's batches with triplet-global.
 */
export const SMART_ARMS = ['baseline', 'xbm', 'smart', 'smart-triplet', 'global'] as const;
export type SmartArm = (typeof SMART_ARMS)[number];

export function smartArmFlags(arm: SmartArm, iterations: number, o: { xbmSize: number; index: TrainFlags['index'] }): Partial<TrainFlags> {
  const fifth = Math.max(1, Math.round(iterations / 5));
  const flags: Record<SmartArm, Partial<TrainFlags>> = {
    baseline: { loss: 'triplet' },
    xbm: { loss: 'triplet', xbmSize: o.xbmSize, xbmStart: String(fifth) },
    smart: { loss: 'triplet-global', batchMining: 'smart', index: o.index, indexRefresh: fifth },
    'smart-triplet': { loss: 'triplet', batchMining: 'smart', index: o.index, indexRefresh: fifth },
    global: { loss: 'triplet-global' },
  };
  return flags[arm];
}

export interface SmartStudyOptions {
  out: string;
  seeds: readonly number[];
  regimes: readonly SmartRegime[];
  arms: readonly SmartArm[];
  backend: TrainFlags['backend'];
  xbmSize: number;
  index: TrainFlags['index'];
}

interface SmartPlanned extends PlannedRun { regime: string; arm: SmartArm; seed: number }

/** Every run, its flags validated: a bad one fails before anything trains. */
export function smartPlan(o: SmartStudyOptions): SmartPlanned[] {
  return o.regimes.flatMap((regime) => o.arms.flatMap((arm) => o.seeds.map((seed) => {
    const dir = join(o.out, regime.name, `${arm}-seed${seed}`);
    const flags: TrainFlags = {
      ...regime.flags, ...smartArmFlags(arm, regime.iterations, o), seed, backend: o.backend, out: dir, iterations: regime.iterations,
      evalEvery: Math.max(1, Math.round(regime.iterations / 4)), snapshotEvery: 0, checkpointEvery: Math.max(1, Math.round(regime.iterations / 5)),
    };
    return { ...planRun(`${regime.name} ${arm} seed ${seed}`, flags), regime: regime.name, arm, seed };
  })));
}

export function smartRunRow(p: { regime: string; arm: string; seed: number; dir: string }, r: RunRecord) {
  const o = outcomeOf(r);
  return {
    regime: p.regime, arm: p.arm, seed: p.seed, status: o.status, r_at_1: o.r1, map_at_r: o.mapAtR,
    ms_per_iteration: o.msPerIteration, wall_s: o.wallSeconds,
    refresh_s: r.smartMining?.refreshSeconds ?? 0, index_recall: r.smartMining?.meanRecall ?? NaN,
    adjustments: r.smartMining?.adjustments.length ?? 0, collapsed: o.collapsed ? 'yes' : 'no', backend: o.backend, run: p.dir,
  };
}
export type SmartRunRow = ReturnType<typeof smartRunRow>;

/** Mean ± sample SD per regime and arm. */
export function smartTable(regimes: readonly SmartRegime[], arms: readonly string[], runRows: readonly SmartRunRow[]): string {
  const header = ['regime', 'arm', 'iterations', 'seeds', 'R@1', 'MAP@R', 'ms/iteration', 'wall s', 'refresh s'];
  return markdownTable(header, regimes.flatMap((regime) => arms.map((arm) => {
    const rows = runRows.filter((x) => x.regime === regime.name && x.arm === arm);
    return [regime.name, arm, String(regime.iterations), String(rows.length), meanPm(rows.map((x) => x.r_at_1), 3), meanPm(rows.map((x) => x.map_at_r), 3),
      mean(rows.map((x) => x.ms_per_iteration)).toFixed(0), mean(rows.map((x) => x.wall_s)).toFixed(0), mean(rows.map((x) => x.refresh_s)).toFixed(1)];
  })));
}

/**
 * local: run the study (each run reused, resumed or trained), write study.csv, study.md and the
 * reports; the Markdown and the report pages. plan, slurm, k8s: every run as a point of the sweep
 * folder <out>/<regime> (emitRuns), then run locally for the tables (every run is reused): null.
 */
export async function runSmartMiningStudy(
  o: SmartStudyOptions, mode: 'local' | EmitMode = 'local', deps: RunDeps & { now?: () => Date; cluster?: ClusterOptions } = {},
): Promise<{ markdown: string; reports: string[]; runs: number } | null> {
  const planned = smartPlan(o);
  if (mode !== 'local') {
    emitRuns(planned, mode, { cluster: deps.cluster, jobPrefix: 'smart-mining-study', then: `run this command without --${mode} for the tables`, log: deps.log ?? (() => {}), now: deps.now?.() });
    return null;
  }
  const records = await runAllPlanned(planned, deps);
  const runRows = planned.map((p, i) => smartRunRow(p, records[i]));
  await writeCsv(join(o.out, 'study.csv'), Object.keys(runRows[0] ?? { regime: '' }), runRows);
  const date = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  const markdown = [
    `Smart-mining study, ${date}: seeds ${o.seeds.join(', ')}; batch 64 (16 x 4), triplet loss (smart: triplet-global); ` +
      `XBM M = ${o.xbmSize} from a fifth of the budget; smart: --index ${o.index}, refresh every fifth of the budget. Mean ± sample SD over seeds; ` +
      'ms/iteration is the median step (refreshes excluded); wall s includes evaluation and refreshes; refresh s is embedding the split and building the index.',
    '',
    smartTable(o.regimes, o.arms, runRows),
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'study.md'), markdown);
  const reports: string[] = [];
  for (const regime of o.regimes) {
    const dirs = planned.filter((p) => p.regime === regime.name).map((p) => p.dir);
    if (dirs.length === 0) continue;
    const dest = join(o.out, `report-${regime.name}`);
    await renderReport(await buildReport(dirs), dest);
    reports.push(join(dest, 'index.html'));
  }
  return { markdown, reports, runs: planned.length };
}
