import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { stableStringify, type Json } from '../json-values.js';
import { FieldCheck, readJsonFile, writeJsonFile, type JsonFormat } from './json-file.js';

/** One key of a sweep grid and its values, in the order given. */
export interface GridAxis {
  key: string;
  values: string[];
}

/** One point of the grid: its folder name and a value per key. */
export interface GridPoint {
  name: string;
  values: Record<string, string>;
}

// Grid keys that name a quantity the report plots, whatever spelling the user chose.
export const BATCH_KEYS = ['batch', 'batch-size', 'batchSize'];
export const MEMORY_KEYS = ['memory', 'xbm-size', 'xbmSize', 'memory-size'];
export const XBM_KEY = 'xbm';

/** Paths inside a sweep folder, defined once. Each point is a run folder `<sweep>/<point name>`. */
export function sweepPaths(dir: string) {
  return {
    root: dir,
    json: join(dir, 'sweep.json'),
    csv: join(dir, 'sweep.csv'),
    logs: join(dir, 'logs'),
    log: (point: string) => join(dir, 'logs', `${point}.log`),
    point: (point: string) => join(dir, point),
    /** plan.tsv: one line per point (index, point, run folder, train arguments), written by --plan, --slurm, --k8s. */
    plan: join(dir, 'plan.tsv'),
    slurm: join(dir, 'slurm'),
    /** The sbatch array script of --slurm. */
    sbatch: join(dir, 'slurm', 'sweep.sbatch'),
    /** One JSON line per submitted array job: job id, array indices, time. */
    submissions: join(dir, 'slurm', 'submissions.jsonl'),
    /** Output of array task %a (Slurm's own log of `sweep --point`). */
    taskLogPattern: join(dir, 'logs', 'point-%a.log'),
    taskLog: (index: number) => join(dir, 'logs', `point-${index}.log`),
    /** The Kubernetes Indexed Job of --k8s. */
    k8s: join(dir, 'k8s', 'job.yaml'),
  };
}

/** sweep.json: what was asked for, so a rerun can resume it and a report can read it. Written by `xbm-drift sweep`. */
export interface SweepFile {
  schemaVersion: 1;
  grid: GridAxis[];
  /** --iters, or null when the points train for the train verb's default. */
  iterations: number | null;
  /** The train flags given after `--`, forwarded to every point. */
  trainFlags: string[];
  /** Every point with the exact `train` arguments it runs with. */
  points: (GridPoint & { args: string[] })[];
  createdAt: string;
}

export const SWEEP_FILE_FORMAT: JsonFormat = { what: 'sweep description (sweep.json)', writer: '`xbm-drift sweep`', schemaVersion: 1 };

/** Grid, iterations and flags: two sweeps with equal identities can share a folder (resume). */
export function sweepIdentity(s: Pick<SweepFile, 'grid' | 'iterations' | 'trainFlags'>): string {
  return stableStringify({ grid: s.grid, iterations: s.iterations ?? null, trainFlags: s.trainFlags });
}

/** Read and check `<dir>/sweep.json`; null when absent. Any defect is a one-line UserError naming the file. */
export function readSweepFile(dir: string): SweepFile | null {
  const path = sweepPaths(dir).json;
  const raw = readJsonFile(path, SWEEP_FILE_FORMAT);
  if (raw === null) return null;
  const c = new FieldCheck(path, SWEEP_FILE_FORMAT);
  // The first sweeps wrote `version` for `schemaVersion`.
  const legacy = (raw as Json | null)?.schemaVersion === undefined && (raw as Json | null)?.version !== undefined;
  const o = c.root(raw, legacy ? 'version' : 'schemaVersion');
  const grid = (c.need(o, 'grid', 'array') as unknown[]).map((a, i) => {
    const at = `grid[${i}].`;
    const axis = c.value(a, `grid[${i}]`, 'object') as Json;
    return { key: c.need(axis, 'key', 'string', at) as string, values: (c.need(axis, 'values', 'array', at) as unknown[]).map(String) };
  });
  const iterations = c.nullable(o, 'iterations', 'number') as number | null;
  const trainFlags = (c.need(o, 'trainFlags', 'array') as unknown[]).map(String);
  const points = (c.need(o, 'points', 'array') as unknown[]).map((p, i) => {
    const at = `points[${i}].`;
    const pt = c.value(p, `points[${i}]`, 'object') as Json;
    const values = c.need(pt, 'values', 'object', at) as Json;
    return {
      name: c.need(pt, 'name', 'string', at) as string,
      values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])),
      args: (c.need(pt, 'args', 'array', at) as unknown[]).map(String),
    };
  });
  const createdAt = c.need(o, 'createdAt', 'string') as string;
  return { schemaVersion: 1, grid, iterations, trainFlags, points, createdAt };
}

/** Write `<dir>/sweep.json` atomically. */
export function writeSweepFile(dir: string, file: SweepFile): void {
  writeJsonFile(sweepPaths(dir).json, file);
}

/** A word as POSIX sh reads it: bare when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const PLAN_COLUMNS = ['index', 'point', 'run_dir', 'train_args'] as const;

/**
 * Write `<dir>/plan.tsv`: a header, then one line per point: its index (what `sweep --point`,
 * SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX name), its name, its run folder relative to the
 * sweep folder, and its `train` arguments as one shell-quoted line.
 */
export function writeSweepPlan(dir: string, sweep: Pick<SweepFile, 'points'>): void {
  const lines = [PLAN_COLUMNS.join('\t')];
  sweep.points.forEach((p, i) => {
    lines.push([String(i), p.name, relative(dir, sweepPaths(dir).point(p.name)), p.args.map(shellQuote).join(' ')].join('\t'));
  });
  writeFileAtomic(sweepPaths(dir).plan, `${lines.join('\n')}\n`);
}

/** One line of slurm/submissions.jsonl. */
export interface SlurmSubmission {
  jobId: string;
  /** Array indices submitted (the points not completed at the time). */
  indices: number[];
  submittedAt: string;
}

export function appendSlurmSubmission(dir: string, s: SlurmSubmission): void {
  const path = sweepPaths(dir).submissions;
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(s)}\n`);
}

/** The recorded submissions, oldest first; lines that do not parse are skipped. */
export function readSlurmSubmissions(dir: string): SlurmSubmission[] {
  const path = sweepPaths(dir).submissions;
  if (!existsSync(path)) return [];
  const out: SlurmSubmission[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line) as Partial<SlurmSubmission>;
      if (typeof o.jobId === 'string' && Array.isArray(o.indices)) out.push({ jobId: o.jobId, indices: o.indices.map(Number), submittedAt: String(o.submittedAt ?? '') });
    } catch {
      // a torn line from an interrupted append
    }
  }
  return out;
}
