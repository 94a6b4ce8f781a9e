/**
 * The XBM study of issue 11 (README "XBM study"): per regime,
 *   stage A (what keeps XBM from collapsing): no XBM and XBM started mid-run, for each reducer
 *     (sum-per-query, mean-active) x each --xbm-adapt strategy; one seed to screen, then the two
 *     baselines and the two best XBM configurations repeated with seeds 2 and 3;
 *   stage B (when to start): the best repeated XBM configuration with fixed starts (a quarter, half
 *     and three quarters of the budget), each auto policy, and the default policy with the guard;
 *     three seeds.
 * Writes study.csv (one row per run), study.md (the tables and the acceptance check: an auto
 * policy within 1 R@1 point of the best fixed start, mean over seeds, and never collapsing)
 * and a report page per regime, after each regime, so an interrupted study still shows what ran.
 *
 * Resumable (scripts/study-runs.ts): completed runs are reused, an interrupted one resumes from its
 * checkpoint. Ctrl-C stops after the current iteration; run the same command again to continue.
 *
 *   node --import tsx scripts/xbm-study.ts [--out runs/xbm-study] [--seeds 3]
 *       [--regimes scratch-16,scratch-64,pretrained-64,scratch-drop-64] [--fashion <idx folder>]
 *       [--iterations N (every regime)] [--iterations-<regime> N] [--backend auto]
 *
 * Sizes: the iteration budgets below make the four regimes about three hours on this 2-core
 * machine (38 runs each); the smoke test is `--iterations 8 --seeds 2`.
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
const out = flag('out', 'runs/xbm-study');
const seedCount = Number(flag('seeds', '3'));
const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
const backend = flag('backend', 'auto') as TrainFlags['backend'];
const fashion = has('fashion') ? flag('fashion', '') : null;

interface Regime {
  name: string;
  iterations: number;
  /** what the regime is, for the tables */
  describe: string;
  /** M: the training split, the paper's choice and the lab probe's */
  xbmSize: number;
  flags: Omit<TrainFlags, 'out'>;
}

const iterationsOf = (name: string, dflt: number) => Number(has('iterations') ? flag('iterations', String(dflt)) : flag(`iterations-${name}`, String(dflt)));
const batch16 = { classesPerBatch: 4, perClass: 4 };
// Fashion-MNIST's split trains on 5 of its 10 classes, so batch 64 is 4 classes x 16. 600 images per
// class make both splits 3,000 images, as in the mnist2 regimes, so M = the training split = 3,000
// (S = 47) and an evaluation costs what theirs does (all 35,000 test images took 3-4 min a run).
const fashionData = { classesPerBatch: 4, perClass: 16, imagesPerClass: 600 };
function regimes(): Regime[] {
  const drop = iterationsOf('scratch-drop-64', 200);
  const all: Regime[] = [
    { name: 'scratch-16', iterations: iterationsOf('scratch-16', 400), describe: 'mnist2 from scratch, batch 16 (4 x 4), Adam 1e-3 constant', xbmSize: 3000, flags: { ...batch16, probeSize: 256 } },
    { name: 'scratch-64', iterations: iterationsOf('scratch-64', 200), describe: 'mnist2 from scratch, batch 64 (16 x 4), Adam 1e-3 constant', xbmSize: 3000, flags: { probeSize: 256 } },
    {
      name: 'pretrained-64', iterations: iterationsOf('pretrained-64', 150), xbmSize: 2000,
      describe: 'mnist3 (4 images per class) from builtin:digits, batch 64, Adam 1e-4',
      // Two probe images per training class (500), so the scatter policy's W(t) rests on every class.
      flags: { dataset: DEMO_REGIME.dataset, backbone: DEMO_REGIME.backbone, lr: DEMO_REGIME.lr, imagesPerClass: 4, probeSize: 1000 },
    },
    {
      name: 'scratch-drop-64', iterations: drop, xbmSize: 3000, describe: 'mnist2 from scratch, batch 64, Adam 1e-3 then 1e-4 from mid-run',
      flags: { probeSize: 256, schedule: 'step', lrStep: Math.max(1, Math.round(drop / 2)), lrGamma: 0.1 },
    },
  ];
  if (fashion) {
    all.push({ name: 'fashion-64', iterations: iterationsOf('fashion-64', 200), xbmSize: 3000, describe: `Fashion-MNIST (idx:${fashion}) 600 images per class, from scratch, batch 64 (4 x 16), Adam 1e-3`, flags: { dataset: `idx:${fashion}`, ...fashionData, probeSize: 256 } });
  }
  const wanted = flag('regimes', all.map((r) => r.name).join(',')).split(',');
  const unknown = wanted.filter((w) => !all.some((r) => r.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`xbm-study: unknown regime ${unknown.join(', ')}: use ${all.map((r) => r.name).join(', ')} (fashion-64 needs --fashion <idx folder>)\n`);
    process.exit(2);
  }
  return wanted.map((w) => all.find((r) => r.name === w)!);
}

const REDUCERS = ['sum-per-query', 'mean-active'] as const;
const ADAPTS = ['none', 'moments', 'sdc', 'momentum', 'refresh-by-id'] as const;
const POLICIES = ['staleness', 'plateau', 'scatter'] as const;

/** One configuration of a regime: no XBM, or XBM with a reducer, a compensation strategy and a start. */
interface Arm {
  reducer: (typeof REDUCERS)[number];
  /** null: no XBM */
  adapt: (typeof ADAPTS)[number] | null;
  /** an iteration, or auto:<policy> */
  start?: string;
  guard?: boolean;
}
const armName = (a: Arm) =>
  a.adapt === null ? `noxbm-${a.reducer}` : `xbm-${a.reducer}-${a.adapt}-${(a.start ?? '').replace(':', '-')}${a.guard ? '-guard' : ''}`;
const xbmConfig = (a: Arm) => (a.adapt === null ? `no XBM, ${a.reducer}` : `${a.reducer}, adapt ${a.adapt}`);

interface Done { regime: string; stage: string; arm: Arm; seed: number; dir: string; r: RunRecord }
const signal = interruptSignal();
const results: Done[] = [];

function plan(regime: Regime, arm: Arm, seed: number): PlannedRun {
  const I = regime.iterations;
  const dir = join(out, regime.name, `${armName(arm)}-seed${seed}`);
  const flags: TrainFlags = {
    ...regime.flags, reducer: arm.reducer, seed, backend, out: dir, iterations: I,
    evalEvery: Math.max(1, Math.round(I / 4)), nmi: false, snapshotEvery: Math.max(1, Math.round(I / 20)), checkpointEvery: Math.max(1, Math.round(I / 4)),
    ...(arm.adapt === null ? {} : { xbmSize: regime.xbmSize, xbmStart: arm.start, xbmAdapt: arm.adapt, ...(arm.guard ? { xbmGuard: true } : {}) }),
  };
  return { label: `${regime.name} ${armName(arm)} seed ${seed}`, dir, config: resolveTrainConfig(flags) };
}

/** Train (or reuse) every planned run in order; exit 130 on an interrupt. */
async function runAll(regime: Regime, stage: string, arms: readonly Arm[], runSeeds: readonly number[]): Promise<Done[]> {
  // Validated before any trains: a bad flag fails now, not an hour in.
  const planned = arms.flatMap((arm) => runSeeds.map((seed) => ({ arm, seed, p: plan(regime, arm, seed) })));
  const done: Done[] = [];
  for (const { arm, seed, p } of planned) {
    const r = await runPlanned(p, signal);
    if (r.status === 'interrupted') {
      process.stderr.write(`Interrupted: run the same command again to continue from ${p.dir}.\n`);
      process.exit(130);
    }
    const d = { regime: regime.name, stage, arm, seed, dir: p.dir, r };
    if (!results.some((x) => x.dir === d.dir)) results.push(d);
    done.push(d);
  }
  return done;
}

const r1 = (d: Done) => d.r.final?.recall_at_1 ?? NaN;
const ofArm = (ds: readonly Done[], a: Arm) => ds.filter((d) => armName(d.arm) === armName(a));
const collapses = (ds: readonly Done[]) => ds.filter((d) => d.r.collapse?.collapsed).length;
const startOf = (d: Done) => (d.r.xbm.size === 0 ? 'off' : d.r.xbm.start === null ? 'never' : String(d.r.xbm.start));
const msStep = (ds: readonly Done[]) => mean(ds.map((d) => d.r.timings.msPerIteration)).toFixed(0);
function summary(ds: readonly Done[]): string[] {
  return [String(ds.length), meanPm(ds.map(r1), 3), meanPm(ds.map((d) => d.r.final?.map_at_r ?? NaN), 3), `${collapses(ds)}/${ds.length}`, ds.map(startOf).join(', '), msStep(ds)];
}
const SUMMARY_HEADER = ['seeds', 'R@1', 'MAP@R', 'collapsed', 'start', 'ms/it'];

async function study(regime: Regime): Promise<string> {
  const I = regime.iterations;
  const mid = String(Math.round(I / 2));
  // Stage A: the screen (first seed).
  const screenArms: Arm[] = REDUCERS.flatMap((reducer) => [{ reducer, adapt: null }, ...ADAPTS.map((adapt) => ({ reducer, adapt, start: mid }))]);
  const screen = await runAll(regime, 'A', screenArms, seeds.slice(0, 1));
  const xbmScreen = screen.filter((d) => d.arm.adapt !== null).sort((a, b) => r1(b) - r1(a));
  const best2 = xbmScreen.slice(0, 2).map((d) => d.arm);
  const repeatArms: Arm[] = [...REDUCERS.map((reducer): Arm => ({ reducer, adapt: null })), ...best2];
  const repeats = await runAll(regime, 'A', repeatArms, seeds);
  const best = [...best2].sort((a, b) => mean(ofArm(repeats, b).map(r1)) - mean(ofArm(repeats, a).map(r1)))[0];

  // Stage B: when to start, with the best configuration of A.
  const fixed = [Math.round(I / 4), Math.round(I / 2), Math.round((3 * I) / 4)].map((s) => String(s));
  const startArms: Arm[] = [
    ...fixed.map((start) => ({ ...best, start, guard: false })),
    ...POLICIES.map((p) => ({ ...best, start: `auto:${p}`, guard: false })),
    { ...best, start: 'auto:staleness', guard: true },
  ];
  const stageB = await runAll(regime, 'B', startArms, seeds);
  const baseline = ofArm(repeats, { reducer: best.reducer, adapt: null });

  const fixedMeans = fixed.map((s) => ({ s, m: mean(ofArm(stageB, { ...best, start: s }).map(r1)) }));
  const bestFixed = fixedMeans.reduce((a, b) => (b.m > a.m ? b : a));
  const acceptance = startArms.filter((a) => a.start!.startsWith('auto')).map((a) => {
    const ds = ofArm(stageB, a);
    const diff = mean(ds.map(r1)) - bestFixed.m;
    const pass = diff >= -0.01 && collapses(ds) === 0;
    return [`${a.start}${a.guard ? ' + guard' : ''}`, meanPm(ds.map(r1), 3), `${(100 * diff).toFixed(2)}`, `${collapses(ds)}/${ds.length}`, pass ? 'yes' : 'no'];
  });

  const md = [
    `### ${regime.name}: ${regime.describe}, ${I} iterations, M = ${regime.xbmSize}`,
    '',
    `Stage A, screen (seed ${seeds[0]}; XBM from iteration ${mid}):`,
    '',
    markdownTable(['configuration', ...SUMMARY_HEADER], screenArms.map((a) => [xbmConfig(a), ...summary(ofArm(screen, a))])),
    '',
    `Stage A, repeated (seeds ${seeds.join(', ')}); best: ${xbmConfig(best)}:`,
    '',
    markdownTable(['configuration', ...SUMMARY_HEADER], repeatArms.map((a) => [xbmConfig(a), ...summary(ofArm(repeats, a))])),
    '',
    `Stage B (${xbmConfig(best)}; seeds ${seeds.join(', ')}):`,
    '',
    markdownTable(['arm', ...SUMMARY_HEADER], [
      ['no XBM', ...summary(baseline)],
      ...startArms.map((a) => [`${a.start}${a.guard ? ' + guard' : ''}`, ...summary(ofArm(stageB, a))]),
    ]),
    '',
    `Acceptance: best fixed start ${bestFixed.s} (R@1 ${bestFixed.m.toFixed(3)}); an auto policy passes when its mean R@1 is at most 1 point below it and no seed collapsed:`,
    '',
    markdownTable(['policy', 'R@1', 'points vs best fixed', 'collapsed', 'passes'], acceptance),
    '',
  ].join('\n');

  const reportRuns = [...baseline, ...stageB].filter((d) => d.seed === seeds[0]).map((d) => d.dir);
  const dest = join(out, `report-${regime.name}`);
  await renderReport(await buildReport(reportRuns), dest);
  return `${md}Report (seed ${seeds[0]}: no XBM and stage B): ${dest}/index.html\n`;
}

const started = Date.now();
const plannedRegimes = regimes();
mkdirSync(out, { recursive: true });
const sections: string[] = [];
for (const regime of plannedRegimes) {
  sections.push(await study(regime));
  const rows = results.map((d) => ({
    regime: d.regime, stage: d.stage, arm: armName(d.arm), reducer: d.arm.reducer, adapt: d.arm.adapt ?? 'off', start: d.arm.start ?? 'off',
    guard: d.arm.guard ? 'yes' : 'no', seed: d.seed, status: d.r.status, r_at_1: r1(d), map_at_r: d.r.final?.map_at_r ?? NaN,
    collapsed: d.r.collapse?.collapsed ? 'yes' : 'no', started_at: startOf(d), ms_per_iteration: d.r.timings.msPerIteration, wall_s: d.r.timings.wallSeconds, run: d.dir,
  }));
  await writeCsv(join(out, 'study.csv'), Object.keys(rows[0]), rows);
  const md = [
    `XBM study, ${new Date().toISOString().slice(0, 10)}: contrastive loss (margin 0.5); mean ± sample SD over seeds; ` +
      'ms/it is the median step; start is the iteration XBM started at per seed (never: the policy did not fire; off: no memory).',
    '',
    ...sections,
  ].join('\n');
  writeFileSync(join(out, 'study.md'), md);
  process.stdout.write(`\n${sections[sections.length - 1]}\n`);
}
process.stdout.write(`study: ${results.length} runs, ${((Date.now() - started) / 60000).toFixed(1)} min this session; ${join(out, 'study.md')}\n`);
