import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { INDEX_COLUMNS, indexTablePath } from '../io/formats/index-table.js';
import { MEMORY_STALENESS_COLUMNS, memoryStalenessPath } from '../io/formats/memory-staleness.js';
import { join, resolve } from 'node:path';
import { normaliseTrainConfig, type TrainConfig } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { readCsv, writeCsv } from '../io/csv.js';
import { runPaths, type RunPaths } from '../io/run-paths.js';
import { EVAL_COLUMNS, METRICS_COLUMNS, TRAINER_STALENESS_COLUMNS, type EvalRow, type MetricsRow } from '../io/tables.js';
import { latestCheckpoint, type CheckpointPointer } from './checkpoint.js';
import { RunLock } from './run-lock.js';

/**
 * The run folder's lifecycle, apart from training itself: create a new run, or reopen one to
 * resume it; lock it against a second writer; clean what a killed write left; and keep the
 * folder relocatable (config.json stores no absolute path: the folder is where the run is).
 */
export interface OpenRun {
  paths: RunPaths;
  lock: RunLock;
  /** null for a new run */
  checkpoint: (CheckpointPointer & { path: string }) | null;
  /** rows kept from before the checkpoint (resume), for the instruments that watch whole series */
  metrics: MetricsRow[];
  evals: EvalRow[];
}

/**
 * A new run in config.out. Call after every input has been validated: this is the first write.
 * Refuses a folder that holds a run unless `overwrite`, and a folder another process is writing.
 */
export function createRun(config: TrainConfig, overwrite: boolean): OpenRun {
  const paths = runPaths(config.out);
  if (existsSync(config.out) && !statSync(config.out).isDirectory()) throw new UserError(M.outIsFile(config.out));
  mkdirSync(config.out, { recursive: true });
  // The lock first: a folder another training is writing is refused as such, whatever it holds.
  const lock = RunLock.acquire(config.out);
  try {
    if (holdsRun(paths) && !overwrite) throw new UserError(M.runExists(config.out));
    if (overwrite) {
      for (const entry of readdirSync(config.out)) if (join(config.out, entry) !== lock.path) rmSync(join(config.out, entry), { recursive: true, force: true });
    }
    mkdirSync(paths.snapshots, { recursive: true });
    writeRunConfig(paths, config);
  } catch (e) {
    lock.release();
    throw e;
  }
  return { paths, lock, checkpoint: null, metrics: [], evals: [] };
}

/**
 * Reopen a run to continue it from its last checkpoint: lock it, remove what killed writes left,
 * and drop table rows written after the checkpoint (they are written again, never duplicated).
 * A run whose last checkpoint is its final iteration but whose record never said "completed"
 * (killed while finishing) is reopened too: the trainer then only finishes the record.
 */
export async function resumeRun(runDir: string): Promise<{ config: TrainConfig; open: OpenRun }> {
  const config = loadRunConfig(runDir);
  const paths = runPaths(config.out);
  const lock = RunLock.acquire(config.out);
  try {
    removeTemporaries(config.out);
    const checkpoint = latestCheckpoint(paths.checkpoints);
    if (!checkpoint) throw new UserError(M.noCheckpoint(runDir));
    if (checkpoint.iteration >= config.iterations && recordStatus(paths) === 'completed') throw new UserError(M.alreadyComplete(runDir, config.iterations));
    const metrics = await keepUpTo<MetricsRow>(paths.metrics, METRICS_COLUMNS, checkpoint.iteration);
    const evals = await keepUpTo<EvalRow>(paths.eval, EVAL_COLUMNS, checkpoint.iteration);
    await keepUpTo(paths.staleness, TRAINER_STALENESS_COLUMNS, checkpoint.iteration);
    await keepUpTo(indexTablePath(config.out), INDEX_COLUMNS, checkpoint.iteration);
    await keepUpTo(memoryStalenessPath(config.out), MEMORY_STALENESS_COLUMNS, checkpoint.iteration);
    return { config, open: { paths, lock, checkpoint, metrics, evals } };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/**
 * The config a run was started with, placed where the folder is now: `out` and `name` follow the
 * folder, so a copied or moved run resumes and evaluates in its new place, never in its old one.
 */
export function loadRunConfig(runDir: string): TrainConfig {
  const paths = runPaths(runDir);
  if (existsSync(runDir) && !statSync(runDir).isDirectory()) throw new UserError(M.runIsFile(runDir));
  if (!existsSync(paths.config)) throw new UserError(M.notARun(runDir));
  let raw: TrainConfig;
  try {
    raw = JSON.parse(readFileSync(paths.config, 'utf8')) as TrainConfig;
  } catch (e) {
    throw new UserError(M.unreadableFile(paths.config, (e as Error).message));
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.iterations !== 'number') throw new UserError(M.unreadableFile(paths.config, 'not a training configuration'));
  // Older versions kept the auto policy as text: normalised to today's typed form.
  return { ...normaliseTrainConfig(raw), out: resolve(runDir) };
}

/** config.json holds `out: "."`: paths inside a run folder are relative to it. */
function writeRunConfig(paths: RunPaths, config: TrainConfig): void {
  writeJsonAtomic(paths.config, { ...config, out: '.' });
}

function holdsRun(paths: RunPaths): boolean {
  return existsSync(paths.config) || existsSync(paths.run);
}

/**
 * The record's status alone, read leniently: null when run.json is absent, not JSON or has no
 * status. Deciding "finished or not" needs only this field, so a record that fails the full
 * format check (an older or hand-made one) still answers; the resume path reads it in full later.
 */
export function recordStatus(paths: RunPaths): string | null {
  try {
    const status = (JSON.parse(readFileSync(paths.run, 'utf8')) as { status?: unknown }).status;
    return typeof status === 'string' ? status : null;
  } catch {
    return null;
  }
}

/**
 * Files a killed atomic write left (`<file>.<pid>.tmp`, `checkpoints/iter-N.tmp/`): never read,
 * only in the way. Removed under the lock, so no live writer owns them.
 */
export function removeTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name.endsWith('.tmp')) rmSync(path, { recursive: true, force: true });
    else if (entry.isDirectory()) removeTemporaries(path);
  }
}

async function keepUpTo<T extends { iteration: number }>(path: string, columns: readonly string[], iteration: number): Promise<T[]> {
  if (!existsSync(path)) return [];
  let rows: T[];
  try {
    rows = await readCsv<T>(path);
  } catch (e) {
    throw new UserError(M.unreadableFile(path, (e as Error).message));
  }
  const keep = rows.filter((r) => r.iteration <= iteration);
  if (keep.length !== rows.length) await writeCsv(path, columns, keep);
  return keep;
}
