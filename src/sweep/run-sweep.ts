import { mkdirSync, readdirSync } from 'node:fs';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { folderKind } from '../io/folder-kind.js';
import { readSweepFile, sweepIdentity, sweepPaths, writeSweepFile, writeSweepPlan, type GridAxis, type SweepFile } from '../io/formats/sweep-file.js';
import { collectSweepRows, pointStatus, writeSweepTable, type SweepPointRow } from '../io/formats/sweep-table.js';
import { expandGrid } from './grid.js';
import { checkForwardedFlags, flagName, gridFlag, pointArgs } from './point-args.js';
import { pointRunArgs } from './point-resume.js';
import type { PointRunner } from './point-runner.js';

export interface SweepOptions {
  out: string;
  grid: GridAxis[];
  /** --iters: forwarded to every point as --iterations */
  iterations?: number;
  /** train flags after `--` */
  trainFlags: string[];
  jobs: number;
}

/** How the train verb checks its arguments: the sweep asks it about every point before training any. */
export interface TrainArgsCheck {
  /** Whether `name` (kebab-case, without --) is a train flag. */
  isTrainFlag(name: string): boolean;
  /** Throws (one line or a few) when `train <args>` would refuse them. */
  check(args: readonly string[]): void;
}

export interface SweepDeps {
  runPoint: PointRunner;
  /** Checks every point's train arguments before anything is written (the CLI passes the train verb's own). */
  trainArgs?: TrainArgsCheck;
  log?: (line: string) => void;
  now?: () => Date;
  /** Aborted by an interrupt: no further point starts, running ones save a checkpoint and stop. */
  signal?: AbortSignal;
}

export interface SweepResult {
  dir: string;
  sweep: SweepFile;
  rows: SweepPointRow[];
  ran: string[];
  skipped: string[];
  failed: { name: string; exitCode: number | null; log: string }[];
  /** Points stopped by the interrupt; a rerun resumes them. */
  interrupted: string[];
}

/** Refuse a grid key that is no train flag, then any point whose train arguments would fail. */
function checkPoints(grid: readonly GridAxis[], points: readonly { name: string; args: string[] }[], check: TrainArgsCheck): void {
  for (const a of grid) {
    const flag = gridFlag(a.key, a.values[0]) ?? gridFlag(a.key, 'off');
    const name = flag ? flagName(flag[0]) : null;
    if (name !== null && !check.isTrainFlag(name)) throw new UserError(reportMessages.unknownGridKey(a.key, `--${name}`));
  }
  for (const p of points) {
    try {
      check.check(p.args);
    } catch (e) {
      throw new UserError(reportMessages.badPoint(p.name, (e as Error).message));
    }
  }
}

/** A sweep ready to train: sweep.json written, every point checked, with its run folder. */
export interface PreparedSweep {
  sweep: SweepFile;
  points: { name: string; values: Record<string, string>; runDir: string; args: string[]; index: number }[];
}

/**
 * Check every point of a grid (nothing is written when one would fail), then write sweep.json,
 * plan.tsv and a sweep.csv of the current state. Used by the local sweep and by --plan, --slurm, --k8s.
 */
export async function prepareSweep(o: Omit<SweepOptions, 'jobs'>, deps: Pick<SweepDeps, 'trainArgs' | 'now'>): Promise<PreparedSweep> {
  const kind = folderKind(o.out);
  if (kind === 'run') throw new UserError(reportMessages.outIsRun(o.out));
  if (kind === 'other' && readdirSync(o.out).length > 0) throw new UserError(reportMessages.outNotSweep(o.out));
  checkForwardedFlags(o.grid, o.trainFlags, o.iterations);
  const paths = sweepPaths(o.out);
  const points = expandGrid(o.grid).map((p, index) => {
    const runDir = paths.point(p.name);
    return { ...p, index, runDir, args: pointArgs(p.values, { trainFlags: o.trainFlags, iterations: o.iterations, runDir, overwrite: false }) };
  });
  if (deps.trainArgs) checkPoints(o.grid, points, deps.trainArgs);
  const previous = readSweepFile(o.out);
  const sweep: SweepFile = {
    schemaVersion: 1,
    grid: o.grid,
    iterations: o.iterations ?? null,
    trainFlags: o.trainFlags,
    points: points.map(({ name, values, args }) => ({ name, values, args })),
    createdAt: previous?.createdAt || (deps.now?.() ?? new Date()).toISOString(),
  };
  if (previous && sweepIdentity(previous) !== sweepIdentity(sweep)) throw new UserError(reportMessages.sweepMismatch(o.out));
  mkdirSync(o.out, { recursive: true });
  writeSweepFile(o.out, sweep);
  writeSweepPlan(o.out, sweep);
  return { sweep, points };
}

/**
 * Train every point of a grid, `jobs` at a time, into `<out>/<point>`. Resumable: a point whose
 * run.json says completed is skipped; an unfinished one is rerun with --overwrite. sweep.csv is
 * rewritten after every point, so it shows progress and survives an interrupted sweep. Every
 * point is checked before anything is written: a bad value fails the sweep at once.
 */
export async function runSweep(o: SweepOptions, deps: SweepDeps): Promise<SweepResult> {
  const log = deps.log ?? (() => {});
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new UserError(reportMessages.badJobs(o.jobs));
  const { sweep, points } = await prepareSweep(o, deps);
  const paths = sweepPaths(o.out);

  const gridKeys = sweep.grid.map((a) => a.key);
  const overrides = new Map<string, string>();
  const result: SweepResult = { dir: o.out, sweep, rows: [], ran: [], skipped: [], failed: [], interrupted: [] };
  // Serialised, so a slower write of an older state never lands after a newer one.
  let writing = Promise.resolve();
  const writeTable = () => (writing = writing.then(async () => writeSweepTable(o.out, gridKeys, await collectSweepRows(o.out, sweep, overrides))));
  await writeTable();

  const queue = points.map((p) => ({ ...p, index: p.index + 1 }));
  const total = queue.length;
  const worker = async () => {
    for (let p = queue.shift(); p && !deps.signal?.aborted; p = queue.shift()) {
      const status = pointStatus(p.runDir);
      const tag = `[${p.index}/${total}] ${p.name}`;
      if (status === 'completed') {
        result.skipped.push(p.name);
        log(`${tag}: completed earlier, skipped`);
        continue;
      }
      const { args, resume } = pointRunArgs(p.values, status, { trainFlags: o.trainFlags, iterations: o.iterations, runDir: p.runDir });
      const logPath = paths.log(p.name);
      log(`${tag}: ${resume ? reportMessages.pointResuming(p.name, p.runDir) : 'training'}`);
      const t0 = Date.now();
      const { exitCode } = await deps.runPoint({ name: p.name, args, runDir: p.runDir, logPath, signal: deps.signal });
      const after = pointStatus(p.runDir);
      result.ran.push(p.name);
      if (deps.signal?.aborted && after !== 'completed') {
        result.interrupted.push(p.name);
        log(`${tag}: interrupted (${after})`);
      } else if (exitCode !== 0 || after !== 'completed') {
        overrides.set(p.name, after === 'pending' || after === 'incomplete' || after === 'completed' ? 'failed' : after);
        result.failed.push({ name: p.name, exitCode, log: logPath });
        log(`${tag}: ${reportMessages.pointFailed(p.name, exitCode, logPath)}`);
      } else {
        overrides.delete(p.name);
        log(`${tag}: completed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      await writeTable();
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, total) }, worker));
  await writing;
  result.rows = await collectSweepRows(o.out, sweep, overrides);
  await writeSweepTable(o.out, gridKeys, result.rows);
  return result;
}
