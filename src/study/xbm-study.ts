/**
 * The XBM study of issue 11 (docs/studies.md "XBM study"), per regime:
 *   stage A (what keeps XBM from collapsing): no XBM and XBM started mid-run, for each screened
 *     reducer x each --xbm-adapt strategy; one seed to screen, then the baselines and the two best
 *     XBM configurations repeated over every seed;
 *   stage B (when to start): the best repeated configuration with fixed starts (a quarter, half and
 *     three quarters of the budget), each auto policy, and the default policy with the guard.
 * Arms come from the registries (arms.ts). How runs are obtained is the caller's: trained here
 * (runXbmStudy's local mode), or read back once a sweep trained them (its emit modes), so the
 * stage logic is one function for both.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainFlags } from '../config/train-config.js';
import { writeCsv } from '../io/csv.js';
import type { ReducerKind } from '../losses/reducers/registry.js';
import type { XbmAdaptKind } from '../memory/adapt/index.js';
import { buildReport } from '../report/build-report.js';
import { renderReport } from '../report/render-report.js';
import { acceptance, bestFixedStart } from './acceptance.js';
import { armConfig, armName, autoPolicies, fixedStarts, isAutoStart, repeatArms, screenArms, startArms, startLabel, studyAdapts, studyReducers, type Arm } from './arms.js';
import { emitRuns, type EmitMode } from './cluster.js';
import type { ClusterOptions } from './args.js';
import { outcomeOf, type RunOutcome } from './outcome.js';
import type { Regime } from './regimes.js';
import { completedRecord, planRun, runAllPlanned, type PlannedRun } from './run-plan.js';
import { bestByMean, bestScreened, runsOf, type ArmRun } from './selection.js';
import { armSummary, markdownTable, meanPm, SUMMARY_HEADER } from './summary-table.js';

export interface XbmStudyOptions {
  out: string;
  seeds: readonly number[];
  regimes: readonly Regime[];
  backend?: TrainFlags['backend'];
  /** default: the registries' (arms.ts) */
  reducers?: readonly ReducerKind[];
  adapts?: readonly XbmAdaptKind[];
  policies?: readonly string[];
  /**
   * Skip stage A's screen and use this configuration for stage B (the held-out regimes test what
   * `train` does with default flags); stage A is then its no-XBM baseline alone.
   */
  configuration?: { reducer: ReducerKind; adapt: XbmAdaptKind } | null;
  /** run the default policy with the guard as a stage-B arm (default true) */
  guardArm?: boolean;
}

export interface StudyRun extends ArmRun {
  regime: string;
  stage: 'A' | 'B';
  dir: string;
}

/** One run of the study: its folder `<out>/<regime>/<arm>-seed<n>` and train flags. */
export function xbmRunPlan(regime: Regime, arm: Arm, seed: number, o: Pick<XbmStudyOptions, 'out' | 'backend'>): PlannedRun {
  const I = regime.iterations;
  const dir = join(o.out, regime.name, `${armName(arm)}-seed${seed}`);
  const flags: TrainFlags = {
    ...regime.flags, reducer: arm.reducer, seed, backend: o.backend ?? 'auto', out: dir, iterations: I,
    evalEvery: Math.max(1, Math.round(I / 4)), nmi: false, snapshotEvery: Math.max(1, Math.round(I / 20)), checkpointEvery: Math.max(1, Math.round(I / 4)),
    ...(arm.adapt === null ? {} : { xbmSize: regime.xbmSize, xbmStart: arm.start, xbmAdapt: arm.adapt, ...(arm.guard ? { xbmGuard: true } : {}) }),
  };
  return planRun(`${regime.name} ${armName(arm)} seed ${seed}`, flags);
}

/** Gives the outcomes of the planned runs, in order, or null when they are not all finished yet. */
export type Obtain = (runs: readonly PlannedRun[]) => Promise<RunOutcome[] | null>;

export interface RegimeResult {
  regime: Regime;
  runs: StudyRun[];
  /** the regime's section of study.md (without its report line) */
  markdown: string;
  /** seed 1's runs of no XBM and stage B: what the report page shows */
  reportRuns: string[];
}

/** The regime's study as far as `obtain` can take it: its result, or null where a stage is still unfinished. */
export async function regimeStudy(regime: Regime, o: XbmStudyOptions, obtain: Obtain): Promise<RegimeResult | null> {
  const reducers = o.reducers ?? studyReducers();
  const seeds = o.seeds;
  const I = regime.iterations;
  const runs: StudyRun[] = [];
  // Every run of a stage is planned (its flags validated) before any of it trains.
  const stage = async (name: 'A' | 'B', arms: readonly Arm[], runSeeds: readonly number[]): Promise<StudyRun[] | null> => {
    const planned = arms.flatMap((arm) => runSeeds.map((seed) => ({ arm, seed, p: xbmRunPlan(regime, arm, seed, o) })));
    const outcomes = await obtain(planned.map((x) => x.p));
    if (outcomes === null) return null;
    const done = planned.map(({ arm, seed, p }, i): StudyRun => ({ regime: regime.name, stage: name, arm, seed, dir: p.dir, outcome: outcomes[i] }));
    for (const d of done) if (!runs.some((x) => x.dir === d.dir)) runs.push(d);
    return done;
  };

  const mid = String(Math.round(I / 2));
  const given = o.configuration ?? null;
  const screenSet = given ? [] : screenArms(reducers, o.adapts ?? studyAdapts(), mid);
  const screen = given ? [] : await stage('A', screenSet, seeds.slice(0, 1));
  if (!screen) return null;
  const best2 = given ? [{ reducer: given.reducer, adapt: given.adapt }] : bestScreened(screen, 2);
  const repeatSet = given ? repeatArms([given.reducer], []) : repeatArms(reducers, best2);
  const repeats = await stage('A', repeatSet, seeds);
  if (!repeats) return null;
  const best = given ? best2[0] : bestByMean(best2, repeats);

  const startSet = startArms(best, I, o.policies ?? autoPolicies(), undefined, o.guardArm ?? true);
  const stageB = await stage('B', startSet, seeds);
  if (!stageB) return null;
  const baseline = runsOf(repeats, { reducer: best.reducer, adapt: null });
  const markdown = regimeMarkdown({ regime, seeds, mid, screenSet, screen, repeatSet, repeats, best, startSet, stageB, baseline });
  const reportRuns = [...baseline, ...stageB].filter((d) => d.seed === seeds[0]).map((d) => d.dir);
  return { regime, runs, markdown, reportRuns };
}

interface RegimeTables {
  regime: Regime;
  seeds: readonly number[];
  mid: string;
  screenSet: readonly Arm[];
  screen: readonly ArmRun[];
  repeatSet: readonly Arm[];
  repeats: readonly ArmRun[];
  best: Arm;
  startSet: readonly Arm[];
  stageB: readonly ArmRun[];
  baseline: readonly ArmRun[];
}

/** The acceptance rows of every auto arm of stage B (acceptance.ts), against the best fixed start. */
export function acceptanceTable(t: Pick<RegimeTables, 'regime' | 'best' | 'startSet' | 'stageB' | 'baseline'>) {
  const outcomes = (rs: readonly ArmRun[]) => rs.map((r) => r.outcome);
  const fixed = fixedStarts(t.regime.iterations).map((start) => ({ start, runs: outcomes(runsOf(t.stageB, { ...t.best, start, guard: false })) }));
  const best = bestFixedStart(fixed);
  const rows = t.startSet.filter(isAutoStart).map((a) => ({ arm: a, verdict: acceptance(outcomes(runsOf(t.stageB, a)), best, outcomes(t.baseline)) }));
  return { best, rows };
}

export function regimeMarkdown(t: RegimeTables): string {
  const { regime, seeds } = t;
  const { best: bestFixed, rows } = acceptanceTable(t);
  const outcomes = (rs: readonly ArmRun[]) => rs.map((r) => r.outcome);
  const stageA = t.screenSet.length === 0
    ? [`Configuration given, not screened: ${armConfig(t.best)}${regime.heldOut ? ' (a held-out regime: what `train` does with default flags)' : ''}.`, '']
    : [
      `Stage A, screen (seed ${seeds[0]}; XBM from iteration ${t.mid}):`,
      '',
      markdownTable(['configuration', ...SUMMARY_HEADER], t.screenSet.map((a) => [armConfig(a), ...armSummary(outcomes(runsOf(t.screen, a)))])),
      '',
      `Stage A, repeated (seeds ${seeds.join(', ')}); best: ${armConfig(t.best)}:`,
      '',
      markdownTable(['configuration', ...SUMMARY_HEADER], t.repeatSet.map((a) => [armConfig(a), ...armSummary(outcomes(runsOf(t.repeats, a)))])),
      '',
    ];
  return [
    `### ${regime.name}${regime.heldOut ? ' (held out)' : ''}: ${regime.describe}, ${regime.iterations} iterations, M = ${regime.xbmSize}`,
    '',
    ...stageA,
    `Stage B (${armConfig(t.best)}; seeds ${seeds.join(', ')}):`,
    '',
    markdownTable(['arm', ...SUMMARY_HEADER], [['no XBM', ...armSummary(outcomes(t.baseline))], ...t.startSet.map((a) => [startLabel(a), ...armSummary(outcomes(runsOf(t.stageB, a)))])]),
    '',
    `Acceptance: best fixed start ${bestFixed.start} (R@1 ${bestFixed.r1.toFixed(3)}); an auto policy passes when its mean R@1 is at most 1 point below it, ` +
      'no seed collapsed, and, where the best fixed start beats no XBM by more than 1 point, XBM started in every seed:',
    '',
    markdownTable(
      ['policy', 'R@1', 'points vs best fixed', 'collapsed', 'started', 'passes'],
      rows.map(({ arm, verdict: v }) => [
        startLabel(arm), meanPm(outcomes(runsOf(t.stageB, arm)).map((r) => r.r1), 3), v.points.toFixed(2), `${v.collapsed}/${v.seeds}`,
        `${v.started}/${v.seeds}${v.mustStart ? '' : ' (not required)'}`, v.pass ? 'yes' : `no: ${v.failures.join('; ')}`,
      ]),
    ),
    '',
  ].join('\n');
}

/** study.csv's row of one run (the columns of the published study). */
export function studyCsvRow(d: StudyRun) {
  return {
    regime: d.regime, stage: d.stage, arm: armName(d.arm), reducer: d.arm.reducer, adapt: d.arm.adapt ?? 'off', start: d.arm.start ?? 'off',
    guard: d.arm.guard ? 'yes' : 'no', seed: d.seed, status: d.outcome.status, r_at_1: d.outcome.r1, map_at_r: d.outcome.mapAtR,
    collapsed: d.outcome.collapsed ? 'yes' : 'no', started_at: d.outcome.start, ms_per_iteration: d.outcome.msPerIteration, wall_s: d.outcome.wallSeconds, run: d.dir,
  };
}

export const studyPreamble = (date: string) =>
  `XBM study, ${date}: contrastive loss (margin 0.5); mean ± sample SD over seeds; ` +
  'ms/it is the median step; start is the iteration XBM started at per seed (never: the policy did not fire; off: no memory).';

export type XbmStudyMode = 'local' | EmitMode;

export interface XbmStudyDeps {
  /** progress: runs reused, resumed, trained; points planned */
  log?: (line: string) => void;
  /** each regime's tables as they are written (default: log) */
  print?: (text: string) => void;
  signal?: AbortSignal;
  cluster?: ClusterOptions;
  now?: () => Date;
}

/**
 * The whole study. local: train (or reuse, or resume) every run here, writing study.csv, study.md
 * and a report page per regime after each regime, so an interrupted study still shows what ran
 * (StudyInterrupted on Ctrl-C). plan, slurm, k8s: per regime, the runs of its first unfinished
 * stage become points of the sweep folder `<out>/<regime>` (plan.tsv, and an sbatch script or a
 * Kubernetes Job); rerun after they finish to emit the next stage, and run locally at the end:
 * every run is then reused and the tables written.
 */
export async function runXbmStudy(o: XbmStudyOptions, mode: XbmStudyMode, deps: XbmStudyDeps = {}): Promise<{ results: RegimeResult[]; pending: string[] }> {
  const log = deps.log ?? (() => {});
  const print = deps.print ?? log;
  const now = deps.now ?? (() => new Date());
  const results: RegimeResult[] = [];
  const pending: string[] = [];
  const sections: string[] = [];
  for (const regime of o.regimes) {
    if (mode === 'local') {
      const result = (await regimeStudy(regime, o, async (runs) => (await runAllPlanned(runs, { signal: deps.signal, log })).map(outcomeOf)))!;
      results.push(result);
      const dest = join(o.out, `report-${regime.name}`);
      await renderReport(await buildReport(result.reportRuns), dest);
      sections.push(`${result.markdown}Report (seed ${o.seeds[0]}: no XBM and stage B): ${dest}/index.html\n`);
      const rows = results.flatMap((r) => r.runs).map(studyCsvRow);
      await writeCsv(join(o.out, 'study.csv'), Object.keys(rows[0]), rows);
      writeFileSync(join(o.out, 'study.md'), [studyPreamble(now().toISOString().slice(0, 10)), '', ...sections].join('\n'));
      print(`\n${sections[sections.length - 1]}`);
      continue;
    }
    let waiting: readonly PlannedRun[] = [];
    const result = await regimeStudy(regime, o, async (runs) => {
      const records = runs.map(completedRecord);
      if (records.every((r) => r !== null)) return records.map((r) => outcomeOf(r!));
      waiting = runs;
      return null;
    });
    if (result) {
      log(`${regime.name}: every run completed; run the study without --${mode} to write its tables and report`);
      continue;
    }
    pending.push(...emitRuns(waiting, mode, { cluster: deps.cluster, jobPrefix: 'xbm-study', then: 'rerun this command for the next stage', log, now: now() }));
  }
  return { results, pending };
}
