import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { readSweepFile, sweepPaths, type SweepFile } from '../io/formats/sweep-file.js';
import { collectSweepRows, pointStatus, writeSweepTable, type SweepPointRow } from '../io/formats/sweep-table.js';
import { pointRunArgs } from './point-resume.js';
import type { PointRunner } from './point-runner.js';

/** sweep.json of a sweep folder, or a one-line UserError saying how to write it. */
export function loadSweep(dir: string): SweepFile {
  const sweep = readSweepFile(dir);
  if (!sweep) throw new UserError(reportMessages.noSweepFile(dir));
  return sweep;
}

/**
 * The point index of `--point <value>`: a whole number, or `env` (also an empty value) for
 * SLURM_ARRAY_TASK_ID, then JOB_COMPLETION_INDEX, from the environment the caller passes.
 */
export function resolvePointIndex(value: string, count: number, env: Record<string, string | undefined>): number {
  let text = value.trim();
  if (text === '' || text === 'env') {
    const fromEnv = env.SLURM_ARRAY_TASK_ID ?? env.JOB_COMPLETION_INDEX;
    if (fromEnv === undefined || fromEnv === '') throw new UserError(reportMessages.noPointIndex);
    text = fromEnv.trim();
  }
  const index = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(index) || index >= count) throw new UserError(reportMessages.badPointIndex(text, count));
  return index;
}

export interface PointOutcome {
  index: number;
  name: string;
  /** pointStatus after the run (completed, failed, incomplete, ...) */
  status: string;
  skipped: boolean;
  exitCode: number | null;
  log: string;
}

/**
 * Train exactly one point of a planned sweep (what one Slurm array task or Kubernetes index runs).
 * A completed point is left alone; an unfinished one is replaced (--overwrite). The run folder is
 * derived from `dir` as given, so the sweep folder may be mounted elsewhere than where it was planned.
 */
export async function runSweepPoint(dir: string, index: number, deps: { runPoint: PointRunner; log?: (line: string) => void; signal?: AbortSignal }): Promise<PointOutcome> {
  const sweep = loadSweep(dir);
  if (!Number.isInteger(index) || index < 0 || index >= sweep.points.length) throw new UserError(reportMessages.badPointIndex(String(index), sweep.points.length));
  const p = sweep.points[index];
  const paths = sweepPaths(dir);
  const runDir = paths.point(p.name);
  const logPath = paths.log(p.name);
  const before = pointStatus(runDir);
  if (before === 'completed') {
    deps.log?.(reportMessages.pointSkipped(index, p.name));
    return { index, name: p.name, status: before, skipped: true, exitCode: 0, log: logPath };
  }
  const { args, resume } = pointRunArgs(p.values, before, { trainFlags: sweep.trainFlags, iterations: sweep.iterations ?? undefined, runDir });
  deps.log?.(resume ? reportMessages.pointResuming(p.name, runDir) : `sweep point ${index} (${p.name}): training into ${runDir}, log ${logPath}`);
  const t0 = Date.now();
  const { exitCode } = await deps.runPoint({ name: p.name, args, runDir, logPath, signal: deps.signal });
  const after = pointStatus(runDir);
  if (exitCode === 0 && after === 'completed') deps.log?.(`sweep point ${index} (${p.name}): completed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  else deps.log?.(reportMessages.pointFailed(p.name, exitCode, logPath));
  return { index, name: p.name, status: exitCode === 0 ? after : after === 'completed' ? 'failed' : after, skipped: false, exitCode, log: logPath };
}

export interface CollectResult {
  rows: SweepPointRow[];
  completed: number[];
  /** Points never started (no run folder). */
  missing: { index: number; name: string }[];
  /** Points whose run folder holds no completed run (failed, interrupted, diverged, or still running). */
  failed: { index: number; name: string; status: string }[];
}

/** Merge the points' run folders into sweep.csv and say which points are missing or failed. */
export async function collectSweep(dir: string): Promise<CollectResult> {
  const sweep = loadSweep(dir);
  const rows = await collectSweepRows(dir, sweep);
  await writeSweepTable(dir, sweep.grid.map((a) => a.key), rows);
  const result: CollectResult = { rows, completed: [], missing: [], failed: [] };
  rows.forEach((r, index) => {
    if (r.status === 'completed') result.completed.push(index);
    else if (r.status === 'pending') result.missing.push({ index, name: r.point });
    else result.failed.push({ index, name: r.point, status: r.status });
  });
  return result;
}

/** Indices of the points whose run is not completed: what a (re)submission runs. */
export function unfinishedPoints(dir: string, sweep: SweepFile): number[] {
  return sweep.points.flatMap((p, i) => (pointStatus(sweepPaths(dir).point(p.name)) === 'completed' ? [] : [i]));
}
