/**
 * The XBM paper's figures on our regimes, as one planned sweep (src/sweep/paper-plan.ts): R@1
 * against batch size (16-256) with and without XBM for contrastive, triplet and multi-similarity;
 * R@1 against memory size; drift curves at several gaps from one run with dense snapshots.
 * Every point is an ordinary sweep point (`xbm-drift sweep --point <index> <dir>`); the modes here
 * plan it, train it here, write it as a cluster job (cluster.ts, as the studies do), or collect it.
 */
import { join } from 'node:path';
import { computeDrift, defaultGaps } from '../analysis/drift.js';
import { writeDriftOutputs } from '../analysis/drift-output.js';
import { UserError } from '../errors.js';
import { sweepPaths, type SweepFile } from '../io/formats/sweep-file.js';
import { pointStatus } from '../io/formats/sweep-table.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import { representationMessages as msg } from '../messages/representation.js';
import { buildPaperPage, driftRunOf } from '../report/paper-page.js';
import { renderReport } from '../report/render-report.js';
import { PAPER_BUDGETS, paperPlan, writePaperPlan, type PaperBudgetName } from '../sweep/paper-plan.js';
import type { PointRunner } from '../sweep/point-runner.js';
import { collectSweep } from '../sweep/point.js';
import type { TrainArgsCheck } from '../sweep/run-sweep.js';
import { CLUSTER_FLAGS, clusterOptions, parseFlags, type ClusterOptions } from './args.js';
import { jobName, runPointsHere, writeK8sJob, writeSlurmJob } from './cluster.js';

export type PaperMode = 'plan' | 'run' | 'collect' | 'slurm' | 'k8s';
const MODES: PaperMode[] = ['plan', 'run', 'collect', 'slurm', 'k8s'];

export interface PaperArgs extends ClusterOptions {
  out: string;
  budget: PaperBudgetName;
  iterations?: number;
  mode: PaperMode;
  points?: number[];
  extraFlags: string[];
}

export function parsePaperArgs(argv: readonly string[]): PaperArgs {
  const { values: v, mode, rest } = parseFlags(argv, {
    script: 'paper-figures',
    values: ['out', 'budget', 'iterations', 'points', ...CLUSTER_FLAGS],
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
  const cluster = clusterOptions(v);
  const points = v.points === undefined ? undefined : v.points.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN));
  if (points?.some((p) => !Number.isInteger(p))) throw new UserError(msg.pointsNotIndices(v.points));
  return { out: v.out, budget: budget as PaperBudgetName, iterations, mode: (mode ?? 'plan') as PaperMode, points, extraFlags: rest, ...cluster };
}

const selfCommand = (a: PaperArgs) => `node --import tsx scripts/paper-figures.ts --out ${a.out} --budget ${a.budget}${a.iterations ? ` --iterations ${a.iterations}` : ''}`;

/** The commands that run the plan, locally or on a cluster, as the user would type them. */
export function paperCommands(a: PaperArgs, sweep: SweepFile): string[] {
  const self = selfCommand(a);
  const n = sweep.points.length;
  return [
    `planned ${n} points in ${sweepPaths(a.out).plan} (budget ${a.budget}, ${sweep.iterations} iterations each)`,
    'run here, one point after another (resumable):',
    `  ${self} --run`,
    `  or one point: xbm-drift sweep --point <0..${n - 1}> ${a.out}`,
    'run on a cluster (one array task or index per point):',
    `  ${self} --slurm --partition <p> --time 2:00:00   then: sbatch ${sweepPaths(a.out).sbatch}`,
    `  ${self} --k8s --image <image with xbm-drift>     then: kubectl apply -f ${sweepPaths(a.out).k8s}`,
    'then the figures:',
    `  ${self} --collect   (writes ${join(a.out, 'report', 'index.html')})`,
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

export async function paperFigures(a: PaperArgs, deps: PaperDeps = {}): Promise<{ sweep: SweepFile; report?: string; trained?: string[] }> {
  const log = deps.log ?? ((l: string) => console.log(l));
  const plan = paperPlan(a.budget, { iterations: a.iterations, extraFlags: a.extraFlags });
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
    const c = await collectSweep(a.out);
    log(`sweep: ${sweepPaths(a.out).csv} (${c.completed.length} of ${c.rows.length} points completed)`);
    const driftRun = driftRunOf(a.out, sweep);
    const driftReady = driftRun !== undefined && pointStatus(driftRun) === 'completed';
    if (driftReady) await driftOfDriftRun(driftRun, a.budget);
    const b = PAPER_BUDGETS[a.budget];
    const report = await buildPaperPage({ dir: a.out, sweep, driftRun: driftReady ? driftRun : undefined, memoryLoss: b.loss, memoryBatch: b.batch });
    const r = await renderReport(report, join(a.out, 'report'));
    for (const s of report.skipped) log(`not drawn: ${s.title}: ${s.reason}`);
    log(`report: ${r.index} (${report.figures.length} figures)`);
    return { sweep, report: r.index };
  }
  const job = { ...a, jobName: jobName('xbm-paper', a.out), log, then };
  if (a.mode === 'slurm') writeSlurmJob(a.out, sweep, job);
  else writeK8sJob(a.out, sweep, job);
  return { sweep };
}
