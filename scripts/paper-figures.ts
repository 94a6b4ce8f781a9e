/**
 * The XBM paper's figures on our regimes, as one sweep plan (src/sweep/paper-plan.ts):
 * R@1 against batch size (16-256) with and without XBM for contrastive, triplet and
 * multi-similarity; R@1 against memory size; drift curves at several gaps from one run with
 * dense snapshots. README "Paper figures".
 *
 *   node --import tsx scripts/paper-figures.ts --out sweeps/paper [--budget small|paper] [--iterations N]
 *       [--plan]                      write sweep.json and plan.tsv, print the commands (the default)
 *       [--run [--points 0,3]]        train the points here, one after another (all, or those listed)
 *       [--collect]                   sweep.csv, drift of the drift run, and the page report/index.html
 *       [--slurm [--partition P] [--time T] [--cpus-per-task N] [--gpus-per-task N] [--mem M]]
 *       [--k8s --image IMG [--pvc CLAIM] [--parallelism N]]
 *       [-- train flags for every point, e.g. --reducer mean-active --seed 2]
 *
 * Every point is an ordinary sweep point: `xbm-drift sweep --point <index> <dir>` trains one (what
 * the Slurm array tasks and Kubernetes indices run), and completed points are never retrained.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { computeDrift, defaultGaps } from '../src/analysis/drift.js';
import { writeDriftOutputs } from '../src/analysis/drift-output.js';
import { trainArgsCheck } from '../src/cli/sweep.js';
import { isUserError, UserError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { runPaths } from '../src/io/run-paths.js';
import { sweepPaths, type SweepFile } from '../src/io/formats/sweep-file.js';
import { pointStatus } from '../src/io/formats/sweep-table.js';
import { SnapshotReader } from '../src/io/snapshot-reader.js';
import { reportMessages } from '../src/messages/report.js';
import { representationMessages as msg } from '../src/messages/representation.js';
import { buildPaperPage, driftRunOf } from '../src/report/paper-page.js';
import { renderReport } from '../src/report/render-report.js';
import { k8sJob, toYaml } from '../src/sweep/k8s.js';
import { PAPER_BUDGETS, paperPlan, writePaperPlan, type PaperBudgetName } from '../src/sweep/paper-plan.js';
import { cliCommand, trainPointRunner, type PointRunner } from '../src/sweep/point-runner.js';
import { collectSweep, runSweepPoint, unfinishedPoints } from '../src/sweep/point.js';
import type { TrainArgsCheck } from '../src/sweep/run-sweep.js';
import { checkResources, sbatchScript, type ClusterResources } from '../src/sweep/slurm.js';

export type PaperMode = 'plan' | 'run' | 'collect' | 'slurm' | 'k8s';

export interface PaperArgs {
  out: string;
  budget: PaperBudgetName;
  iterations?: number;
  mode: PaperMode;
  points?: number[];
  resources: ClusterResources;
  image?: string;
  pvc?: string;
  parallelism?: number;
  extraFlags: string[];
}

const VALUE_FLAGS = ['out', 'budget', 'iterations', 'points', 'partition', 'time', 'cpus-per-task', 'gpus-per-task', 'mem', 'image', 'pvc', 'parallelism'];
const MODES: PaperMode[] = ['plan', 'run', 'collect', 'slurm', 'k8s'];

export function parsePaperArgs(argv: readonly string[]): PaperArgs {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const extraFlags = dash < 0 ? [] : argv.slice(dash + 1).map(String);
  const v: Record<string, string> = {};
  const modes: PaperMode[] = [];
  for (let i = 0; i < own.length; i++) {
    const [name, inline] = own[i].replace(/^--/, '').split(/=(.*)/s);
    if (!own[i].startsWith('--')) throw new UserError(msg.unknownFlag(own[i]));
    if (MODES.includes(name as PaperMode)) modes.push(name as PaperMode);
    else if (VALUE_FLAGS.includes(name) && (inline !== undefined || i + 1 < own.length)) v[name] = inline ?? own[++i];
    else throw new UserError(msg.unknownFlag(own[i]));
  }
  if (modes.length > 1) throw new UserError(msg.twoModes(modes[0], modes[1]));
  if (!v.out) throw new UserError(msg.needOut);
  const budget = v.budget ?? 'small';
  if (!(budget in PAPER_BUDGETS)) throw new UserError(msg.badBudget(budget));
  let iterations: number | undefined;
  if (v.iterations !== undefined) {
    iterations = Number(v.iterations);
    if (!Number.isInteger(iterations) || iterations < 2) throw new UserError(msg.badIterations(v.iterations));
  }
  const int = (k: string) => (v[k] === undefined ? undefined : Number(v[k]));
  const resources: ClusterResources = { partition: v.partition, time: v.time, cpusPerTask: int('cpus-per-task'), gpusPerTask: int('gpus-per-task'), mem: v.mem };
  checkResources(resources);
  const points = v.points === undefined ? undefined : v.points.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN));
  if (points?.some((p) => !Number.isInteger(p))) throw new UserError(msg.pointsNotIndices(v.points));
  return { out: v.out, budget: budget as PaperBudgetName, iterations, mode: modes[0] ?? 'plan', points, resources, image: v.image, pvc: v.pvc, parallelism: int('parallelism'), extraFlags };
}

/** The commands that run the plan, locally or on a cluster, as the user would type them. */
export function paperCommands(a: PaperArgs, sweep: SweepFile): string[] {
  const self = `node --import tsx scripts/paper-figures.ts --out ${a.out} --budget ${a.budget}${a.iterations ? ` --iterations ${a.iterations}` : ''}`;
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
  trainArgs?: TrainArgsCheck;
  log?: (line: string) => void;
}

/** Drift of the drift run at its snapshot spacing and companions (gaps no pair supports are dropped). */
async function driftOfDriftRun(run: string, budget: PaperBudgetName): Promise<void> {
  const b = PAPER_BUDGETS[budget];
  const reader = SnapshotReader.open(run);
  // Plus the drift command's defaults, so a run shorter than the snapshot spacing still shows its one gap.
  const gaps = [...new Set([...b.snapshotOffsets, b.snapshotEvery, 2 * b.snapshotEvery, 5 * b.snapshotEvery, ...defaultGaps(reader.iterations())])];
  const result = computeDrift(reader, gaps);
  await writeDriftOutputs(run, result);
}

export async function paperFigures(a: PaperArgs, deps: PaperDeps = {}): Promise<{ sweep: SweepFile; report?: string; trained?: string[] }> {
  const log = deps.log ?? ((l: string) => console.log(l));
  const plan = paperPlan(a.budget, { iterations: a.iterations, extraFlags: a.extraFlags });
  const sweep = writePaperPlan(a.out, plan, deps.trainArgs ?? trainArgsCheck);
  const paths = sweepPaths(a.out);
  if (a.points?.some((p) => p >= sweep.points.length)) throw new UserError(msg.badPoints(a.points.join(','), sweep.points.length));

  if (a.mode === 'plan') {
    paperCommands(a, sweep).forEach((l) => log(l));
    return { sweep };
  }
  if (a.mode === 'run') {
    const trained: string[] = [];
    for (const index of a.points ?? sweep.points.map((_, i) => i)) {
      const o = await runSweepPoint(a.out, index, { runPoint: deps.runPoint ?? trainPointRunner(), log });
      if (!o.skipped) trained.push(o.name);
    }
    log(`then: node --import tsx scripts/paper-figures.ts --out ${a.out} --budget ${a.budget}${a.iterations ? ` --iterations ${a.iterations}` : ''} --collect`);
    return { sweep, trained };
  }
  if (a.mode === 'collect') {
    const c = await collectSweep(a.out);
    log(`sweep: ${paths.csv} (${c.completed.length} of ${c.rows.length} points completed)`);
    const driftRun = driftRunOf(a.out, sweep);
    const driftReady = driftRun !== undefined && pointStatus(driftRun) === 'completed';
    if (driftReady) await driftOfDriftRun(driftRun, a.budget);
    const b = PAPER_BUDGETS[a.budget];
    const report = await buildPaperPage({ dir: a.out, sweep, driftRun: driftReady ? driftRun : undefined, memoryLoss: b.loss, memoryBatch: b.batch });
    const out = join(a.out, 'report');
    const r = await renderReport(report, out);
    for (const s of report.skipped) log(`not drawn: ${s.title}: ${s.reason}`);
    log(`report: ${r.index} (${report.figures.length} figures)`);
    return { sweep, report: r.index };
  }
  const abs = resolve(a.out);
  if (a.mode === 'slurm') {
    const indices = unfinishedPoints(a.out, sweep);
    const script = sbatchScript({ dir: abs, indices, command: cliCommand(), cwd: process.cwd(), logPattern: resolve(paths.taskLogPattern), jobName: `xbm-paper-${basename(abs)}`, resources: a.resources });
    writeFileAtomic(paths.sbatch, script);
    mkdirSync(paths.logs, { recursive: true });
    log(`${paths.sbatch}: an array job of ${indices.length} of ${sweep.points.length} points; submit with \`sbatch ${paths.sbatch}\`, then --collect`);
    return { sweep };
  }
  if (!a.image) throw new UserError(reportMessages.k8sImage);
  const manifest = toYaml(k8sJob({ name: `xbm-paper-${basename(abs)}`, completions: sweep.points.length, parallelism: a.parallelism, image: a.image, command: ['xbm-drift'], mountPath: abs, claimName: a.pvc, resources: a.resources }));
  writeFileAtomic(paths.k8s, manifest);
  log(`${paths.k8s}: a Kubernetes Indexed Job of ${sweep.points.length} points; submit with \`kubectl apply -f ${paths.k8s}\`, then --collect`);
  return { sweep };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  paperFigures(parsePaperArgs(process.argv.slice(2))).catch((e: unknown) => {
    if (!isUserError(e)) throw e;
    console.error(`paper-figures: ${e.message}`);
    process.exitCode = 2;
  });
}
