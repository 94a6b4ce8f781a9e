import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { UserError } from '../../errors.js';
import { ioMessages } from '../../messages/io.js';
import { readCsv, readCsvRaw, writeCsv } from '../csv.js';
import { num } from '../json-values.js';
import { runPaths } from '../run-paths.js';
import { testRows, type EvalRow } from '../tables.js';
import { readRunConfig } from './run-config.js';
import { readRunRecord } from './run-record.js';
import { BATCH_KEYS, MEMORY_KEYS, XBM_KEY, sweepPaths, type SweepFile } from './sweep-file.js';
import { configuredStart } from './start-decision.js';

/** One sweep point: its grid values, status and final metrics (a row of sweep.csv). */
export interface SweepPointRow {
  point: string;
  values: Record<string, string>;
  /** run.json's status, 'pending' (no folder yet), 'incomplete' (no run.json) or 'failed'. */
  status: string;
  recall_at_1: number;
  recall_at_2: number;
  recall_at_4: number;
  recall_at_8: number;
  map_at_r: number;
  ms_per_iteration: number;
  wall_seconds: number;
  /** The point's run folder, relative to the sweep folder. */
  run_dir: string;
  /** Batch size, memory size and whether XBM ran, from the grid or the run's files (not in sweep.csv). */
  batch?: number;
  memory?: number;
  xbm?: 'on' | 'off';
}

export const SWEEP_RESULT_COLUMNS = [
  'point', 'status', 'recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r',
  'ms_per_iteration', 'wall_seconds', 'run_dir',
] as const;

/** Columns of sweep.csv: the grid keys first, then the results. */
export function sweepCsvColumns(gridKeys: readonly string[]): string[] {
  return [...gridKeys, ...SWEEP_RESULT_COLUMNS];
}

/** Status of a point's run: run.json's status, else pending (no folder) or incomplete. */
export function pointStatus(runDir: string): string {
  const status = readRunRecord(runPaths(runDir).run)?.status;
  if (status) return status;
  return existsSync(runDir) ? 'incomplete' : 'pending';
}

const METRICS = ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r'] as const;

/** One row of sweep.csv from a point's run folder; `override` replaces the status (e.g. failed). */
export async function sweepPointRow(
  sweepDir: string,
  point: { name: string; values: Record<string, string> },
  override?: string,
): Promise<SweepPointRow> {
  const runDir = sweepPaths(sweepDir).point(point.name);
  const p = runPaths(runDir);
  const run = readRunRecord(p.run);
  const config = readRunConfig(p.config);
  const final = run?.final ?? null;
  let last: EvalRow | undefined;
  if (!final && existsSync(p.eval)) last = testRows(await readCsv<EvalRow>(p.eval)).at(-1);
  const metric = (k: (typeof METRICS)[number]) => num(final?.[k]) ?? num(last?.[k]) ?? NaN;
  const gridValue = (keys: string[]) => {
    const k = keys.find((key) => key in point.values);
    return k === undefined ? undefined : num(point.values[k]);
  };
  return {
    point: point.name,
    values: point.values,
    status: override ?? run?.status ?? (existsSync(runDir) ? 'incomplete' : 'pending'),
    recall_at_1: metric('recall_at_1'),
    recall_at_2: metric('recall_at_2'),
    recall_at_4: metric('recall_at_4'),
    recall_at_8: metric('recall_at_8'),
    map_at_r: metric('map_at_r'),
    ms_per_iteration: run?.timings.msPerIteration ?? NaN,
    wall_seconds: run?.timings.wallSeconds ?? NaN,
    run_dir: relative(sweepDir, runDir) || '.',
    batch: gridValue(BATCH_KEYS) ?? run?.batchSize ?? num(config?.batchSize),
    memory: gridValue(MEMORY_KEYS) ?? run?.xbm.size ?? num(config?.xbm?.size),
    xbm: xbmState(point.values[XBM_KEY], run?.xbm.start, config),
  };
}

/** Whether XBM ran at a point: the grid says so, else the run's start (null = never started), else its config. */
function xbmState(gridValue: string | undefined, runStart: number | null | undefined, config: ReturnType<typeof readRunConfig>): 'on' | 'off' | undefined {
  if (gridValue !== undefined) return gridValue === 'off' ? 'off' : 'on';
  if (runStart === null) return 'off';
  if (runStart !== undefined) return 'on';
  if (num(config?.xbm?.size) === 0) return 'off';
  const configured = config?.xbm?.start;
  if (configured === undefined) return undefined;
  return configuredStart(configured) === null ? 'off' : 'on';
}

export async function collectSweepRows(sweepDir: string, sweep: SweepFile, overrides: ReadonlyMap<string, string> = new Map()): Promise<SweepPointRow[]> {
  return Promise.all(sweep.points.map((pt) => sweepPointRow(sweepDir, pt, overrides.get(pt.name))));
}

/** Write sweep.csv atomically: one row per point, the grid values first. */
export async function writeSweepTable(sweepDir: string, gridKeys: readonly string[], rows: readonly SweepPointRow[]): Promise<void> {
  await writeCsv(
    sweepPaths(sweepDir).csv,
    sweepCsvColumns(gridKeys),
    rows.map((r) => ({ ...r.values, ...Object.fromEntries(SWEEP_RESULT_COLUMNS.map((c) => [c, r[c]])) })),
  );
}

/** Read sweep.csv back (for notebooks and other tools): the grid values as text, the results as numbers. */
export async function readSweepTable(sweepDir: string, gridKeys: readonly string[]): Promise<SweepPointRow[]> {
  const path = sweepPaths(sweepDir).csv;
  if (!existsSync(path)) return [];
  const raw = await readCsvRaw(path);
  const header = raw.length > 0 ? Object.keys(raw[0]) : [];
  const missing = raw.length > 0 ? sweepCsvColumns(gridKeys).filter((c) => !header.includes(c)) : [];
  if (missing.length > 0) throw new UserError(ioMessages.missingColumns(path, 'sweep table (sweep.csv)', missing));
  const n = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));
  return raw.map((r) => ({
    point: r.point,
    values: Object.fromEntries(gridKeys.map((k) => [k, r[k]])),
    status: r.status,
    recall_at_1: n(r.recall_at_1),
    recall_at_2: n(r.recall_at_2),
    recall_at_4: n(r.recall_at_4),
    recall_at_8: n(r.recall_at_8),
    map_at_r: n(r.map_at_r),
    ms_per_iteration: n(r.ms_per_iteration),
    wall_seconds: n(r.wall_seconds),
    run_dir: r.run_dir,
  }));
}
