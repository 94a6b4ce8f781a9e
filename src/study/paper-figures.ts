/**
 * The XBM paper's figures on our regimes, as one planned sweep (src/sweep/paper-plan.ts): R@1
 * against batch size (16-256) with and without XBM for contrastive, triplet and multi-similarity;
 * R@1 against memory size; drift curves at several gaps from one run with dense snapshots; the
 * shuffle sampler against P x K; each once per seed. --collect draws the figures and checks the
 * paper's claims on them (paper-claims.ts), writing claims.md beside sweep.csv (the report folder holds only what a report writes, so a rerun may replace it).
 * Every point is an ordinary sweep point (`xbm-drift sweep --point <index> <dir>`); the modes here
 * plan it, train it here, write it as a cluster job (cluster.ts, as the studies do), or collect it.
 */
import { basename, join } from 'node:path';
import { computeDrift, defaultGaps } from '../analysis/drift.js';
import { writeDriftOutputs } from '../analysis/drift-output.js';
import { UserError } from '../errors.js';
import { sweepPaths, type SweepFile } from '../io/formats/sweep-file.js';
import { pointStatus, type SweepPointRow } from '../io/formats/sweep-table.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import { representationMessages as msg } from '../messages/representation.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { folderKind } from '../io/folder-kind.js';
import { buildPaperPage, driftRunsOf, paperFigureOf } from '../report/paper-page.js';
import { assignKeys, loadRun } from '../report/load-run.js';
import type { RunTables } from '../report/types.js';
import { renderReport } from '../report/render-report.js';
import { PAPER_BUDGETS, PAPER_SEEDS, paperPlan, writePaperPlan, type PaperBudgetName } from '../sweep/paper-plan.js';
import { flagName } from '../sweep/point-args.js';
import type { PointRunner } from '../sweep/point-runner.js';
import { collectSweep } from '../sweep/point.js';
import type { TrainArgsCheck } from '../sweep/run-sweep.js';
import { CLUSTER_FLAGS, clusterOptions, parseFlags, type ClusterOptions } from './args.js';
import { claimsMarkdown, DRIFT_GAP, paperClaims, type ClaimPoint, type ClaimRow, type DriftSeries } from './paper-claims.js';
import { jobName, runPointsHere, writeK8sJob, writeSlurmJob } from './cluster.js';

export type PaperMode = 'plan' | 'run' | 'collect' | 'slurm' | 'k8s';
const MODES: PaperMode[] = ['plan', 'run', 'collect', 'slurm', 'k8s'];

export interface PaperArgs extends ClusterOptions {
  out: string;
  budget: PaperBudgetName;
  iterations?: number;
  /** seeds 1..seeds for every point */
  seeds: number;
  /** --collect: longer runs whose D(t; 100) the slow-drift claim reads instead of the plan's drift runs */
  driftRuns?: string[];
  mode: PaperMode;
  points?: number[];
  extraFlags: string[];
}

export function parsePaperArgs(argv: readonly string[]): PaperArgs {
  const { values: v, mode, rest } = parseFlags(argv, {
    script: 'paper-figures',
    values: ['out', 'budget', 'iterations', 'seeds', 'drift-runs', 'points', ...CLUSTER_FLAGS],
    modes: MODES,
    messages: { unknownFlag: msg.unknownFlag, twoModes: msg.twoModes, missingValue: msg.unknownFlag },
  });
  if (!v.out) throw new UserError(msg.needOut);
  const budget = v.budget ?? 'small';
  if (!(budget in PAPER_BUDGETS)) throw new UserError(msg.badBudget(budget));
  let iterations: number | undefined;
  if (v.iterations !== undefined) {
    iterations = Number(v.iterations);
    if (!Number.isInteger(iterations) || iterations < 2) throw new UserError(msg.badIterations(v.iterations));
  }
  const seeds = v.seeds === undefined ? PAPER_SEEDS : /^\d+$/.test(v.seeds.trim()) ? Number(v.seeds) : NaN;
  if (!Number.isInteger(seeds) || seeds < 1) throw new UserError(msg.badSeeds(v.seeds ?? ''));
  if (rest.some((t) => flagName(t) === 'seed')) throw new UserError(msg.seedAfterDashes);
  const driftRuns = v['drift-runs']?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (driftRuns && mode !== 'collect') throw new UserError(msg.driftRunsOnlyCollect);
  const cluster = clusterOptions(v);
  const points = v.points === undefined ? undefined : v.points.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN));
  if (points?.some((p) => !Number.isInteger(p))) throw new UserError(msg.pointsNotIndices(v.points));
  return { out: v.out, budget: budget as PaperBudgetName, iterations, seeds, driftRuns, mode: (mode ?? 'plan') as PaperMode, points, extraFlags: rest, ...cluster };
}

const selfCommand = (a: PaperArgs) =>
  `node --import tsx scripts/paper-figures.ts --out ${a.out} --budget ${a.budget}${a.iterations ? ` --iterations ${a.iterations}` : ''}${a.seeds !== PAPER_SEEDS ? ` --seeds ${a.seeds}` : ''}`;

/** The commands that run the plan, locally or on a cluster, as the user would type them. */
export function paperCommands(a: PaperArgs, sweep: SweepFile): string[] {
  const self = selfCommand(a);
  const n = sweep.points.length;
  return [
    `planned ${n} points in ${sweepPaths(a.out).plan} (budget ${a.budget}, ${sweep.iterations} iterations each, ${a.seeds} seed${a.seeds === 1 ? '' : 's'})`,
    'run here, one point after another (resumable):',
    `  ${self} --run`,
    `  or one point: xbm-drift sweep --point <0..${n - 1}> ${a.out}`,
    'run on a cluster (one array task or index per point):',
    `  ${self} --slurm --partition <p> --time 2:00:00   then: sbatch ${sweepPaths(a.out).sbatch}`,
    `  ${self} --k8s --image <image with xbm-drift>     then: kubectl apply -f ${sweepPaths(a.out).k8s}`,
    'then the figures:',
    `  ${self} --collect [--drift-runs <runs of 1,000+ iterations>]   (writes ${join(a.out, 'report', 'index.html')} and ${join(a.out, 'claims.md')})`,
  ];
}

export interface PaperDeps {
  runPoint?: PointRunner;
  /** the train verb's checks of every point (the script passes the CLI's) */
  trainArgs?: TrainArgsCheck;
  log?: (line: string) => void;
}

/** Drift of the drift run at its snapshot spacing and companions (gaps no pair supports are dropped). */
async function driftOfDriftRun(run: string, budget: PaperBudgetName): Promise<void> {
  const b = PAPER_BUDGETS[budget];
  const reader = SnapshotReader.open(run);
  // Plus the drift command's defaults, so a run shorter than the snapshot spacing still shows its one gap.
  const gaps = [...new Set([...b.snapshotOffsets, b.snapshotEvery, 2 * b.snapshotEvery, 5 * b.snapshotEvery, ...defaultGaps(reader.iterations())])];
  await writeDriftOutputs(run, computeDrift(reader, gaps));
}

/** Completed points as the claims read them. */
export function claimPoints(rows: readonly SweepPointRow[]): ClaimPoint[] {
  return rows
    .filter((r) => r.status === 'completed' && Number.isFinite(r.recall_at_1) && r.batch !== undefined && r.xbm !== undefined && paperFigureOf(r.values) !== 'drift')
    .map((r) => ({
      loss: r.values.loss, batch: r.batch!, xbm: r.xbm!, seed: r.values.seed ?? '1', r1: r.recall_at_1,
      ...(r.values.memory !== undefined ? { memory: Number(r.values.memory) } : {}),
      ...(r.values.sampler !== undefined ? { sampler: r.values.sampler } : {}),
    }));
}

/** Runs with their D(t; 100) computed from their snapshots (nothing is written into them). */
async function driftTables(dirs: readonly string[]): Promise<RunTables[]> {
  const runs = assignKeys(await Promise.all(dirs.map((d) => loadRun(d))));
  return runs.map((r) => {
    const result = computeDrift(SnapshotReader.open(r.dir), [DRIFT_GAP]);
    return { ...r, drift: result.rows.filter((x) => x.gap === DRIFT_GAP) };
  });
}

function seriesOf(r: RunTables): DriftSeries {
  const points = (r.drift ?? []).map((x) => ({ iteration: x.iteration, d: x.mean })).sort((p, q) => p.iteration - q.iteration);
  return { seed: String(r.seed ?? r.key), gap: DRIFT_GAP, iterations: r.iterations ?? points.at(-1)?.iteration ?? 0, points };
}

export async function paperFigures(a: PaperArgs, deps: PaperDeps = {}): Promise<{ sweep: SweepFile; report?: string; trained?: string[]; claims?: ClaimRow[] }> {
  const log = deps.log ?? ((l: string) => console.log(l));
  const plan = paperPlan(a.budget, { iterations: a.iterations, seeds: a.seeds, extraFlags: a.extraFlags });
  const sweep = writePaperPlan(a.out, plan, deps.trainArgs);
  if (a.points?.some((p) => p >= sweep.points.length)) throw new UserError(msg.badPoints(a.points.join(','), sweep.points.length));
  const then = `${selfCommand(a)} --collect`;

  if (a.mode === 'plan') {
    paperCommands(a, sweep).forEach((l) => log(l));
    return { sweep };
  }
  if (a.mode === 'run') {
    const trained = await runPointsHere(a.out, a.points ?? sweep.points.map((_, i) => i), { runPoint: deps.runPoint, log });
    log(`then: ${then}`);
    return { sweep, trained };
  }
  if (a.mode === 'collect') {
    // Checked before anything is written: the runs the slow-drift claim reads instead of the plan's.
    const notRuns = (a.driftRuns ?? []).filter((d) => folderKind(d) !== 'run');
    if (notRuns.length) throw new UserError(msg.driftRunsNotRuns(notRuns));
    const c = await collectSweep(a.out);
    log(`sweep: ${sweepPaths(a.out).csv} (${c.completed.length} of ${c.rows.length} points completed)`);
    const planDrift = driftRunsOf(a.out, sweep).filter((d) => pointStatus(d) === 'completed');
    if (planDrift[0]) await driftOfDriftRun(planDrift[0], a.budget);
    const longRuns = a.driftRuns ? await driftTables(a.driftRuns) : [];
    const b = PAPER_BUDGETS[a.budget];
    const report = await buildPaperPage({ dir: a.out, sweep, driftRun: planDrift[0], slowDrift: longRuns, memoryLoss: b.loss, memoryBatch: b.batch });
    const r = await renderReport(report, join(a.out, 'report'));
    for (const s of report.skipped) log(`not drawn: ${s.title}: ${s.reason}`);
    log(`report: ${r.index} (${report.figures.length} figures)`);
    const drift = a.driftRuns ? longRuns.map(seriesOf) : (await driftTables(planDrift)).map(seriesOf);
    const claims = paperClaims({
      points: claimPoints(c.rows), memory: b.memory, loss: b.loss, batch: b.batch, drift,
      driftSource: a.driftRuns ? `runs given with --drift-runs: ${a.driftRuns.map((d) => basename(d)).join(', ')}` : `the plan's drift runs (${sweep.iterations} iterations)`,
    });
    const claimsFile = join(a.out, 'claims.md');
    writeFileAtomic(claimsFile, claimsMarkdown(claims));
    log(`claims: ${claimsFile} (${claims.filter((x) => x.verdict === 'holds').length} of ${claims.length} hold)`);
    return { sweep, report: r.index, claims };
  }
  const job = { ...a, jobName: jobName('xbm-paper', a.out), log, then };
  if (a.mode === 'slurm') writeSlurmJob(a.out, sweep, job);
  else writeK8sJob(a.out, sweep, job);
  return { sweep };
}
