import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { indexTablePath } from '../io/formats/index-table.js';
import { memoryStalenessPath } from '../io/formats/memory-staleness.js';
import { basename, join, resolve } from 'node:path';
import { checkRunConfig } from './run-config-check.js';
import { normaliseTrainConfig, type TrainConfig } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { trainMessages as M } from '../messages/train.js';
import { removeFoldersMade, writeFileAtomic, writeJsonAtomic } from '../io/atomic-write.js';
import { readCsv } from '../io/csv.js';
import { runPaths, type RunPaths } from '../io/run-paths.js';
import { readRunConfig } from '../io/formats/run-config.js';
import type { EvalRow, MetricsRow } from '../io/tables.js';
import { latestCheckpoint, type CheckpointPointer } from './checkpoint.js';
import { LOCK_FILE, RunLock } from './run-lock.js';

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
 * Refuses a folder that holds a run unless `overwrite`, a folder another process is writing, and a
 * non-empty folder that holds no run (whatever `overwrite` says): a run verb deletes only what it
 * can prove a run wrote, and overwriting removes only the run's own files (RUN_FILES), nothing else.
 */
export function createRun(config: TrainConfig, overwrite: boolean): OpenRun {
  const paths = runPaths(config.out);
  if (existsSync(config.out) && !statSync(config.out).isDirectory()) throw new UserError(M.outIsFile(config.out));
  // Before the lock: a stranger's folder gets no file from us, not even run.lock.
  if (!holdsRun(paths) && foreignEntries(config.out).length > 0) throw new UserError(M.outNotARun(config.out));
  const made = mkdirSync(config.out, { recursive: true });
  let lock: RunLock | null = null;
  try {
    // The lock first: a folder another training is writing is refused as such, whatever it holds.
    lock = RunLock.acquire(config.out);
    if (holdsRun(paths)) {
      if (!overwrite) throw new UserError(M.runExists(config.out));
      for (const entry of runEntries(config.out)) rmSync(join(config.out, entry), { recursive: true, force: true });
    } else if (foreignEntries(config.out).length > 0) {
      throw new UserError(M.outNotARun(config.out)); // filled while we took the lock
    }
    // config.json first: a folder holding anything of ours holds a run (a full disk leaves none half-made).
    writeRunConfig(paths, config);
    mkdirSync(paths.snapshots, { recursive: true });
  } catch (e) {
    lock?.release();
    removeFoldersMade(made, config.out);
    throw e;
  }
  return { paths, lock: lock!, checkpoint: null, metrics: [], evals: [] };
}

/** What a run writes at the top of its folder (docs/run-folder.md); the folders are the run's alone. */
const RUN_FILES = (() => {
  const p = runPaths('');
  return new Set([p.config, p.run, p.metrics, p.eval, p.probe, p.snapshots, p.batches, p.staleness, p.analysis, p.report, p.checkpoints,
    indexTablePath(''), memoryStalenessPath('')].map((f) => basename(f)));
})();

/** The run's own entries in `dir`, with the temporaries its killed writes left. */
function runEntries(dir: string): string[] {
  return readdirSync(dir).filter((e) => RUN_FILES.has(e) || e.endsWith('.tmp'));
}

/** Entries of `dir` no run wrote (an absent folder has none); a lock and temporaries are a run's. */
function foreignEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((e) => e !== LOCK_FILE && !e.startsWith(`${LOCK_FILE}.`) && !e.endsWith('.tmp'));
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
    const metrics = await keepUpTo<MetricsRow>(paths.metrics, checkpoint.iteration);
    const evals = await keepUpTo<EvalRow>(paths.eval, checkpoint.iteration);
    await keepUpTo(paths.staleness, checkpoint.iteration);
    await keepUpTo(indexTablePath(config.out), checkpoint.iteration);
    await keepUpTo(memoryStalenessPath(config.out), checkpoint.iteration);
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
  // The one config.json reader checks the file's shape (a damaged or mistyped field is one line naming it).
  const raw = readRunConfig(paths.config);
  if (raw === null || typeof raw.iterations !== 'number') throw new UserError(M.unreadableFile(paths.config, 'not a training configuration'));
  // Older versions kept the auto policy as text: normalised to today's typed form.
  const config = { ...normaliseTrainConfig(raw), out: resolve(runDir) };
  checkRunConfig(config, paths.config);
  return config;
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

/**
 * Keeps the rows of a table up to the checkpoint's iteration, by their iteration number: rows after
 * it are written again, and a line that is not a row (a kill mid-write, an edit: the wrong number of
 * cells, no integer iteration) is dropped. Kept lines stay byte for byte as they were.
 */
async function keepUpTo<T extends { iteration: number }>(path: string, iteration: number): Promise<T[]> {
  if (!existsSync(path)) return [];
  const [header = '', ...lines] = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const at = header.split(',').indexOf('iteration');
  if (at < 0) throw new UserError(M.unreadableFile(path, 'no header with an iteration column'));
  const cells = header.split(',').length;
  const keep = lines.filter((line) => {
    const row = line.split(',');
    const t = Number(row[at]);
    return row.length === cells && /^\d+$/.test(row[at]) && t <= iteration;
  });
  if (keep.length !== lines.length) writeFileAtomic(path, [header, ...keep].map((l) => `${l}\n`).join(''));
  try {
    return await readCsv<T>(path);
  } catch (e) {
    throw new UserError(M.unreadableFile(path, (e as Error).message));
  }
}
