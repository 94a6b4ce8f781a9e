import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { readCsv, writeCsv } from '../io/csv.js';
import { runPaths } from '../io/run-paths.js';
import type { EvalRow } from '../io/tables.js';
import { configuredStart, testRows } from '../report/load-run.js';
import { num, obj, pick, readJsonIfExists, str } from '../report/read-json.js';
import type { SweepPointRow } from '../report/types.js';
import { BATCH_KEYS, MEMORY_KEYS, XBM_KEY } from './grid.js';
import { sweepPaths, type SweepJson } from './sweep-files.js';

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
  const run = readJsonIfExists(runPaths(runDir).run);
  const status = str(pick(run, 'status'));
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
  const run = readJsonIfExists(p.run);
  const config = readJsonIfExists(p.config);
  const finalObj = obj(pick(run, 'final'));
  let last: EvalRow | undefined;
  if (!finalObj && existsSync(p.eval)) last = testRows(await readCsv<EvalRow>(p.eval)).at(-1);
  const metric = (k: (typeof METRICS)[number]) => num(finalObj?.[k]) ?? num(last?.[k]) ?? NaN;
  const gridValue = (keys: string[]) => {
    const k = keys.find((key) => key in point.values);
    return k === undefined ? undefined : num(point.values[k]);
  };
  const status = override ?? pointStatus(runDir);
  return {
    point: point.name,
    values: point.values,
    status,
    recall_at_1: metric('recall_at_1'),
    recall_at_2: metric('recall_at_2'),
    recall_at_4: metric('recall_at_4'),
    recall_at_8: metric('recall_at_8'),
    map_at_r: metric('map_at_r'),
    ms_per_iteration: num(pick(run, 'timings.msPerIteration')) ?? NaN,
    wall_seconds: num(pick(run, 'timings.wallSeconds')) ?? NaN,
    run_dir: relative(sweepDir, runDir) || '.',
    batch: gridValue(BATCH_KEYS) ?? num(pick(config, 'batchSize')),
    memory: gridValue(MEMORY_KEYS) ?? num(pick(run, 'xbm.size')) ?? num(pick(config, 'xbm.size')),
    xbm: xbmState(point.values[XBM_KEY], run, config),
  };
}

/** Whether XBM ran at a point: the grid says so, else the run's start (null = never started). */
function xbmState(gridValue: string | undefined, run: unknown, config: unknown): 'on' | 'off' | undefined {
  if (gridValue !== undefined) return gridValue === 'off' ? 'off' : 'on';
  const start = pick(run, 'xbm.start');
  if (start === null) return 'off';
  if (num(start) !== undefined) return 'on';
  if (num(pick(config, 'xbm.size')) === 0) return 'off';
  const configured = pick(config, 'xbm.start');
  if (configured === undefined) return undefined;
  return configuredStart(configured) === null ? 'off' : 'on';
}

export async function collectSweepRows(sweepDir: string, sweep: SweepJson, overrides: ReadonlyMap<string, string> = new Map()): Promise<SweepPointRow[]> {
  return Promise.all(sweep.points.map((pt) => sweepPointRow(sweepDir, pt, overrides.get(pt.name))));
}

export async function writeSweepCsv(sweepDir: string, sweep: SweepJson, rows: readonly SweepPointRow[]): Promise<void> {
  const keys = sweep.grid.map((a) => a.key);
  await writeCsv(
    sweepPaths(sweepDir).csv,
    sweepCsvColumns(keys),
    rows.map((r) => ({ ...r.values, ...Object.fromEntries(SWEEP_RESULT_COLUMNS.map((c) => [c, r[c]])) })),
  );
}
