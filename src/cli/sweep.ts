import { existsSync, mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { resolveTrainConfig, type TrainFlags } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { appendSlurmSubmission, readSlurmSubmissions, sweepPaths } from '../io/formats/sweep-file.js';
import { reportMessages } from '../messages/report.js';
import { describeGrid, gridSize, parseGrid } from '../sweep/grid.js';
import type { GridAxis } from '../io/formats/sweep-file.js';
import { k8sJob, toYaml } from '../sweep/k8s.js';
import { cliCommand, trainPointRunner, type PointRunner } from '../sweep/point-runner.js';
import { collectSweep, loadSweep, resolvePointIndex, runSweepPoint, unfinishedPoints, type CollectResult, type PointOutcome } from '../sweep/point.js';
import { prepareSweep, runSweep, type PreparedSweep, type SweepResult, type TrainArgsCheck } from '../sweep/run-sweep.js';
import { checkResources, sbatchScript, slurmJobActive, submitSbatch, type ClusterResources } from '../sweep/slurm.js';
import type { CliIo } from './report.js';
import { trainOptions } from './train.js';
import { INTERRUPTED_EXIT_CODE, withInterrupt } from './interrupt.js';
import { consoleOutput } from './output.js';
import { VERBS } from './verbs.js';

export interface SweepArgs {
  grid?: string[];
  out?: string;
  /** The sweep folder of --point and --collect when given apart (same as --out). */
  dir?: string;
  iters?: number;
  jobs: number;
  /** The largest grid trained or planned without confirmation (default MAX_POINTS). */
  maxPoints?: number;
  /** Write sweep.json and plan.tsv, train nothing. */
  plan?: boolean;
  /**
   * Train one point: `--point <index> <dir>`, `--point env <dir>` or `--point <dir>` (the index from
   * SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX), or `--point <index>` with --out.
   */
  point?: string[];
  /** `--collect <dir>` (or '' with --out): merge the finished points into sweep.csv, report the missing and failed. */
  collect?: string;
  /** Write and submit an sbatch array script of the points not completed. */
  slurm?: boolean;
  /** Write a Kubernetes Indexed Job manifest. */
  k8s?: boolean;
  dryRun?: boolean;
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  gpusPerTask?: number;
  mem?: string;
  image?: string;
  parallelism?: number;
  pvc?: string;
  mountPath?: string;
  k8sCommand?: string;
  /** train flags after `--` */
  '--'?: (string | number)[];
}

export type SweepMode = 'local' | 'plan' | 'point' | 'collect' | 'slurm' | 'k8s';

export interface SweepDepsCli {
  runPoint?: PointRunner;
  io?: CliIo;
  trainArgs?: TrainArgsCheck;
  /** Environment of the sweep: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, and what sbatch and squeue see. */
  env?: NodeJS.ProcessEnv;
  /** The CLI as the user runs it (node and bin/xbm-drift.js), for the sbatch script. */
  command?: string[];
  cwd?: string;
}

/** A parser of the train verb's flags, as strict as `xbm-drift train` itself. */
function trainParser(args: readonly string[]) {
  return trainOptions(yargs([...args]).exitProcess(false).help(false).version(false).strict()).fail((msg, err) => {
    throw err ?? new Error(msg);
  });
}

/**
 * The train verb's own checks for a sweep point: its yargs options (unknown flags, bad choices),
 * then resolveTrainConfig (ranges, combinations). Nothing is written or loaded.
 */
export const trainArgsCheck: TrainArgsCheck = {
  isTrainFlag(name) {
    const keys = (trainParser([]) as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
    return name in keys;
  },
  check(args) {
    const a = trainParser(args).parseSync() as unknown as TrainFlags;
    resolveTrainConfig({ ...a, out: String(a.out) });
  },
};

/** Which of --plan, --point, --collect, --slurm, --k8s was given (at most one). */
export function sweepMode(a: SweepArgs): SweepMode {
  const given = (['plan', 'point', 'collect', 'slurm', 'k8s'] as const).filter((m) =>
    m === 'point' ? a.point !== undefined : m === 'collect' ? a.collect !== undefined : a[m] === true,
  );
  if (given.length > 1) throw new UserError(reportMessages.sweepModes(given));
  return given[0] ?? 'local';
}

/** The sweep folder: --out or the positional folder (the same when both are given). */
function sweepDir(a: SweepArgs, mode: SweepMode): string {
  if (a.out !== undefined && a.dir !== undefined && resolve(a.out) !== resolve(a.dir)) throw new UserError(reportMessages.twoDirs(a.out, a.dir));
  const dir = a.out ?? a.dir;
  if (dir === undefined) throw new UserError(mode === 'point' || mode === 'collect' ? reportMessages.sweepDirNeeded(mode) : reportMessages.outNeeded);
  return dir;
}

function resources(a: SweepArgs, mode: SweepMode): ClusterResources {
  const r: ClusterResources = { partition: a.partition, time: a.time, cpusPerTask: a.cpusPerTask, gpusPerTask: a.gpusPerTask, mem: a.mem };
  const slurmOnly = { partition: a.partition, time: a.time };
  const cluster = { ...r };
  const k8sOnly = { image: a.image, parallelism: a.parallelism, pvc: a.pvc, 'mount-path': a.mountPath, 'k8s-command': a.k8sCommand };
  if (mode !== 'slurm' && mode !== 'k8s') {
    const f = Object.entries({ ...cluster, 'dry-run': a.dryRun || undefined, ...k8sOnly }).find(([, v]) => v !== undefined);
    if (f) throw new UserError(reportMessages.clusterOnly(kebab(f[0]), 'slurm or --k8s'));
  }
  if (mode === 'slurm') {
    const f = Object.entries(k8sOnly).find(([, v]) => v !== undefined);
    if (f) throw new UserError(reportMessages.clusterOnly(f[0], 'k8s'));
  }
  if (mode === 'k8s') {
    const f = Object.entries(slurmOnly).find(([, v]) => v !== undefined);
    if (f) throw new UserError(reportMessages.clusterOnly(f[0], 'slurm'));
    if (a.parallelism !== undefined && (!Number.isInteger(a.parallelism) || a.parallelism < 1)) {
      throw new UserError(reportMessages.badResource('parallelism', a.parallelism, 'give a whole number >= 1'));
    }
  }
  checkResources(r);
  return r;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Grids above this many points need --max-points: checking them alone takes minutes, training them weeks. */
export const MAX_POINTS = 1000;

/** The grid and --iters, checked; a grid above --max-points is refused, and the point count is said first. */
function userGrid(a: SweepArgs, io: CliIo): GridAxis[] {
  const grid = parseGrid(a.grid ?? []);
  if (a.iters !== undefined && (!Number.isInteger(a.iters) || a.iters < 1)) throw new UserError(reportMessages.badIters(a.iters));
  const max = a.maxPoints ?? MAX_POINTS;
  if (!Number.isInteger(max) || max < 1) throw new UserError(reportMessages.badMaxPoints(a.maxPoints));
  const n = gridSize(grid);
  if (n > max) throw new UserError(reportMessages.gridTooLarge(n, describeGrid(grid), max));
  io.out(reportMessages.gridCount(n, describeGrid(grid)));
  return grid;
}

/** Check the grid and every point, then write sweep.json and plan.tsv (nothing is written when a point would fail). */
async function plan(a: SweepArgs, dir: string, deps: SweepDepsCli): Promise<PreparedSweep> {
  const grid = userGrid(a, deps.io ?? consoleOutput);
  return prepareSweep({ out: dir, grid, iterations: a.iters, trainFlags: (a['--'] ?? []).map(String) }, { trainArgs: deps.trainArgs ?? trainArgsCheck });
}

export type SweepOutcome =
  | { mode: 'local'; result: SweepResult }
  | { mode: 'plan'; prepared: PreparedSweep }
  | { mode: 'point'; outcome: PointOutcome }
  | { mode: 'collect'; collected: CollectResult }
  | { mode: 'slurm'; script: string; indices: number[]; jobId: string | null }
  | { mode: 'k8s'; manifest: string };

/** The sweep verb without yargs; the point runner is injectable (tests use a fake trainer). */
export async function sweepMain(a: SweepArgs, deps?: SweepDepsCli): Promise<SweepResult>;
export async function sweepMain(a: SweepArgs, deps: SweepDepsCli, all: true): Promise<SweepOutcome>;
export async function sweepMain(a: SweepArgs, deps: SweepDepsCli = {}, all = false): Promise<SweepResult | SweepOutcome> {
  const outcome = await sweepAny(a, deps);
  if (all) return outcome;
  if (outcome.mode !== 'local') throw new Error('sweepMain: use the three-argument form for --plan, --point, --collect, --slurm, --k8s');
  return outcome.result;
}

async function sweepAny(a: SweepArgs, deps: SweepDepsCli): Promise<SweepOutcome> {
  const io = deps.io ?? consoleOutput;
  const env = deps.env ?? process.env;
  const mode = sweepMode(a);
  const res = resources(a, mode);
  if ((mode === 'point' || mode === 'collect') && (a.grid?.length || (a['--'] ?? []).length > 0 || a.iters !== undefined)) {
    throw new UserError(reportMessages.clusterOnly('grid, --iters and train flags', 'plan, --slurm, --k8s or a local sweep; --point and --collect read them from sweep.json'));
  }
  if (mode === 'point') {
    // `--point <index|env> <dir>`, or `--point <dir>`: the index from the environment.
    const words = (a.point ?? []).map(String);
    if (words.length > 2) throw new UserError(reportMessages.pointUsage(words.join(' ')));
    let [value, dir] = words.length === 2 ? words : [words[0] ?? '', a.dir];
    if (words.length === 1 && dir === undefined && a.out === undefined && value !== 'env' && !/^\d+$/.test(value)) [dir, value] = [value, 'env'];
    const folder = sweepDir({ ...a, dir }, mode);
    const sweep = loadSweep(folder);
    const index = resolvePointIndex(value, sweep.points.length, env);
    // Slurm signals every process of the job step itself: passing its signal on would be the
    // trainer's second one, which stops it without saving. Elsewhere (Kubernetes signals PID 1) pass it on.
    const passOn = (signal: AbortSignal) => (env.SLURM_JOB_ID ? undefined : signal);
    const outcome = await withInterrupt((signal) => runSweepPoint(folder, index, { runPoint: deps.runPoint ?? trainPointRunner(), log: io.out, signal: passOn(signal) }), { output: io });
    if (outcome.status === 'interrupted') {
      io.err(reportMessages.sweepInterrupted([outcome.name]));
      process.exitCode = INTERRUPTED_EXIT_CODE;
    } else if (outcome.status !== 'completed') process.exitCode = 1;
    return { mode, outcome };
  }
  const dir = sweepDir(mode === 'collect' && a.collect ? { ...a, dir: a.collect } : a, mode);
  if (mode === 'collect') {
    const collected = await collectSweep(dir);
    const n = collected.rows.length;
    io.out(`sweep: ${sweepPaths(dir).csv} (${n} points: ${collected.completed.length} completed, ${collected.missing.length} missing, ${collected.failed.length} failed or unfinished)`);
    if (collected.missing.length + collected.failed.length > 0) {
      const name = (p: { index: number; name: string; status?: string }) => `${p.index} (${p.name}${p.status ? `, ${p.status}` : ''})`;
      io.err(reportMessages.collectIncomplete(collected.missing.map(name), collected.failed.map(name), n));
      process.exitCode = 1;
    }
    return { mode, collected };
  }
  if (mode === 'local') {
    const grid = userGrid(a, io);
    const result = await withInterrupt((signal) => runSweep(
      { out: dir, grid, iterations: a.iters, trainFlags: (a['--'] ?? []).map(String), jobs: a.jobs },
      { runPoint: deps.runPoint ?? trainPointRunner(), trainArgs: deps.trainArgs ?? trainArgsCheck, log: io.out, signal },
    ), { output: io });
    const n = result.sweep.points.length;
    const trained = result.ran.length - result.failed.length - result.interrupted.length;
    io.out(`sweep: ${sweepPaths(dir).csv} (${n} points: ${trained} trained, ${result.skipped.length} done earlier, ${result.failed.length} failed)`);
    if (result.interrupted.length > 0 || trained + result.skipped.length + result.failed.length < n) {
      io.err(reportMessages.sweepInterrupted(result.interrupted));
      process.exitCode = INTERRUPTED_EXIT_CODE;
    } else if (result.failed.length > 0) {
      io.err(reportMessages.sweepFailures(result.failed.length, n));
      process.exitCode = 1;
    }
    return { mode, result };
  }
  if (mode === 'k8s' && !a.image) throw new UserError(reportMessages.k8sImage);
  // Refuse an active job before writing anything new.
  if (mode === 'slurm' && !a.dryRun && existsSync(dir)) {
    const last = readSlurmSubmissions(dir).at(-1);
    if (last && slurmJobActive(last.jobId, env)) throw new UserError(reportMessages.slurmJobActive(last.jobId));
  }
  const prepared = await plan(a, dir, deps);
  const paths = sweepPaths(dir);
  if (mode === 'plan') {
    io.out(`sweep: planned ${prepared.points.length} points in ${paths.plan}; train one with \`xbm-drift sweep --point <index> ${dir}\`, then \`xbm-drift sweep --collect ${dir}\``);
    return { mode, prepared };
  }
  const abs = resolve(dir);
  const command = deps.command ?? cliCommand();
  if (mode === 'k8s') {
    const mountPath = a.mountPath ?? abs;
    const manifest = toYaml(
      k8sJob({
        name: `xbm-sweep-${basename(abs)}`,
        completions: prepared.points.length,
        parallelism: a.parallelism,
        image: a.image!,
        command: a.k8sCommand ? a.k8sCommand.trim().split(/\s+/) : ['xbm-drift'],
        mountPath,
        claimName: a.pvc,
        resources: res,
      }),
    );
    writeFileAtomic(paths.k8s, manifest);
    if (a.dryRun) io.out(manifest.replace(/\n$/, ''));
    io.out(`sweep: Kubernetes Indexed Job of ${prepared.points.length} points in ${paths.k8s}; submit with \`kubectl apply -f ${paths.k8s}\`, then \`xbm-drift sweep --collect ${dir}\``);
    return { mode, manifest };
  }
  const indices = unfinishedPoints(dir, prepared.sweep);
  if (indices.length === 0) {
    io.out(reportMessages.nothingToSubmit(dir));
    return { mode, script: paths.sbatch, indices, jobId: null };
  }
  const script = sbatchScript({
    dir: abs,
    indices,
    command,
    cwd: deps.cwd ?? process.cwd(),
    logPattern: resolve(paths.taskLogPattern),
    jobName: `xbm-sweep-${basename(abs)}`,
    resources: res,
  });
  writeFileAtomic(paths.sbatch, script);
  // Slurm opens each task's output file itself and fails the task when its folder is missing.
  mkdirSync(paths.logs, { recursive: true });
  const what = `${indices.length} of ${prepared.points.length} points`;
  if (a.dryRun) {
    io.out(script.replace(/\n$/, ''));
    io.out(`sweep: dry run: ${paths.sbatch} written for ${what}, nothing submitted`);
    return { mode, script: paths.sbatch, indices, jobId: null };
  }
  const jobId = submitSbatch(resolve(paths.sbatch), env);
  appendSlurmSubmission(dir, { jobId, indices, submittedAt: new Date().toISOString() });
  io.out(`sweep: submitted Slurm job ${jobId} (${what}) from ${paths.sbatch}; task logs ${paths.taskLogPattern}; when it ends: \`xbm-drift sweep --collect ${dir}\``);
  return { mode, script: paths.sbatch, indices, jobId };
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: VERBS.sweep.usage,
  describe: VERBS.sweep.describe,
  builder: (y: Argv<object>) =>
    y
      .parserConfiguration({ 'populate--': true })
      .option('grid', {
        type: 'string',
        array: true,
        describe: 'key=v1,v2,... (batch -> --batch-size, memory -> --xbm-size, xbm=off|on -> --xbm-start off|as given, other keys -> --<key>)',
      })
      .option('out', { type: 'string', describe: 'sweep folder: sweep.json, plan.tsv, sweep.csv, logs/, one run folder per point' })
      .option('iters', { alias: 'iterations', type: 'number', describe: 'iterations of every point (train --iterations)' })
      .option('jobs', { type: 'number', default: 1, describe: 'points trained at the same time' })
      .option('max-points', { type: 'number', describe: `refuse a grid of more points than this (default ${MAX_POINTS}); give the count to confirm a larger one` })
      .option('plan', { type: 'boolean', describe: 'check every point, write sweep.json and plan.tsv (index, point, run folder, train arguments); train nothing' })
      .option('point', {
        type: 'string',
        array: true,
        describe: '--point <index> <dir>: train exactly one point of a planned sweep; --point env <dir> or --point <dir> reads the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX',
      })
      .option('collect', { type: 'string', describe: '--collect <dir>: merge the finished points into sweep.csv; exit 1 naming the missing and failed ones' })
      .option('slurm', { type: 'boolean', describe: 'write slurm/sweep.sbatch (an array job of the points not completed) and submit it with sbatch' })
      .option('k8s', { type: 'boolean', describe: 'write k8s/job.yaml, a Kubernetes Indexed Job with one index per point' })
      .option('dry-run', { type: 'boolean', describe: 'with --slurm or --k8s: print the script or manifest, submit nothing' })
      .option('partition', { type: 'string', describe: 'Slurm partition' })
      .option('time', { type: 'string', describe: 'Slurm time limit per point, e.g. 2:00:00' })
      .option('cpus-per-task', { type: 'number', describe: 'CPUs per point (Slurm; Kubernetes cpu request)' })
      .option('gpus-per-task', { type: 'number', describe: 'GPUs per point (Slurm; Kubernetes nvidia.com/gpu)' })
      .option('mem', { type: 'string', describe: 'memory per point, Slurm style: 4000 (MB), 8G' })
      .option('image', { type: 'string', describe: '--k8s: container image with xbm-drift' })
      .option('parallelism', { type: 'number', describe: '--k8s: pods at a time (default: all points)' })
      .option('pvc', { type: 'string', describe: '--k8s: PersistentVolumeClaim holding the sweep folder (default: a hostPath volume)' })
      .option('mount-path', { type: 'string', describe: '--k8s: where the sweep folder is mounted in the container (default: its absolute path here)' })
      .option('k8s-command', { type: 'string', describe: '--k8s: the CLI in the container (default: xbm-drift), e.g. "node /app/bin/xbm-drift.js"' })
      .check((argv) => {
        const a = argv as unknown as SweepArgs;
        const mode = sweepMode(a);
        if (mode !== 'point' && mode !== 'collect') {
          if (!a.grid || a.grid.length === 0) throw new UserError(reportMessages.noGrid);
          if (a.out === undefined) throw new UserError(reportMessages.outNeeded);
        }
        return true;
      })
      .example('$0 sweep --grid batch=16,32,64,128 --grid xbm=off,on --iters 1000 --out sweeps/batch -- --xbm-size 3000', 'the paper\'s Figure 1 (left)')
      .example('$0 sweep --grid seed=1,2,3 --out sweeps/s --slurm --partition gpu --time 2:00:00 --gpus-per-task 1', 'one Slurm array task per point')
      .example('$0 sweep --collect sweeps/s', 'sweep.csv of the finished points; names the missing and failed')
      .epilogue(
        'Flags after -- go to every `train`. Rerun the same command to resume: completed points are skipped (locally, and in a new --slurm submission).',
      ) as unknown as Argv<SweepArgs>,
  handler: async (argv) => {
    await sweepMain(argv, {}, true);
  },
};
