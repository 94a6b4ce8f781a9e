import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readRunConfig } from '../io/formats/run-config.js';
import { readRunRecord } from '../io/formats/run-record.js';
import { writeProbe } from '../io/probe-file.js';
import { iterationFromSnapshotName, runPaths } from '../io/run-paths.js';
import { writeSnapshot } from '../io/snapshot-file.js';
import { EVAL_COLUMNS, METRICS_COLUMNS, STALENESS_COLUMNS } from '../io/tables.js';
import { importMessages as M } from '../messages/import.js';
import { readNpy, type NpyArray } from './npy.js';
import { iterationFromRawName, rawPaths, RAW_LAYOUT } from './raw-layout.js';

/**
 * `xbm-drift import <folder>`: a run folder written by python/xbm_drift_log.py becomes a run
 * folder like the trainer's. Two stages: planImport reads and checks everything (config.json,
 * run.json, the CSV headers, every numpy file) and writes nothing; writeImport then writes
 * probe.arrow and snapshots/iter-NNNNNN.arrow through the io writers (atomic: temporary name,
 * then rename). So a bad folder is refused with one line naming the file, and nothing is touched.
 */

/** A row whose norm is within this of 1 counts as a unit vector (float32 rounding of a normalised row). */
export const UNIT_NORM_TOLERANCE = 1e-3;

export interface ImportSnapshot {
  iteration: number;
  source: string;
  target: string;
}

export interface ImportPlan {
  runDir: string;
  runId: string;
  probePath: string;
  sampleIds: Int32Array;
  labels: Int32Array;
  dim: number;
  snapshots: ImportSnapshot[];
  /** Every row of every snapshot is a unit vector (within UNIT_NORM_TOLERANCE). */
  normalized: boolean;
  offNormRows: number;
  worstNormError: number;
  /** snapshots/*.arrow files with no numpy source (left alone). */
  staleArrow: string[];
}

/** Check the whole folder; throws a one-line UserError at the first problem. Writes nothing. */
export function planImport(runDir: string): ImportPlan {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UserError(M.folderNotFound(runDir));
  const paths = runPaths(runDir);
  const raw = rawPaths(runDir);
  if (!existsSync(raw.dir)) throw new UserError(M.notAPythonRun(runDir, RAW_LAYOUT.dir));

  if (!existsSync(paths.config)) throw new UserError(M.missingFile(paths.config, 'the run configuration'));
  const config = readRunConfig(paths.config);
  if (!existsSync(paths.run)) throw new UserError(M.missingFile(paths.run, 'the run record'));
  const record = readRunRecord(paths.run)!;
  if (!existsSync(paths.metrics)) throw new UserError(M.missingFile(paths.metrics, 'the metrics table'));
  checkCsvHeader(paths.metrics, METRICS_COLUMNS);
  if (existsSync(paths.eval)) checkCsvHeader(paths.eval, EVAL_COLUMNS);
  if (existsSync(paths.staleness)) checkCsvHeader(paths.staleness, STALENESS_COLUMNS);

  for (const p of [raw.probeSampleIds, raw.probeLabels]) if (!existsSync(p)) throw new UserError(M.missingFile(p, 'the probe set'));
  const sampleIds = intVector(readNpy(raw.probeSampleIds), raw.probeSampleIds);
  const labels = intVector(readNpy(raw.probeLabels), raw.probeLabels);
  if (sampleIds.length !== labels.length) throw new UserError(M.probeLengthMismatch(raw.probeSampleIds, sampleIds.length, raw.probeLabels, labels.length));
  if (sampleIds.length === 0) throw new UserError(M.emptyProbe(raw.probeSampleIds));
  const seen = new Set<number>();
  for (const id of sampleIds) {
    if (seen.has(id)) throw new UserError(M.probeIdRepeats(raw.probeSampleIds, id));
    seen.add(id);
  }

  const files = existsSync(raw.snapshots) ? readdirSync(raw.snapshots).filter((f) => f.endsWith('.npy')).sort() : [];
  const byIteration = new Map<number, string>();
  for (const name of files) {
    const path = join(raw.snapshots, name);
    const it = iterationFromRawName(name);
    if (it === null) throw new UserError(M.badSnapshotName(path));
    const other = byIteration.get(it);
    if (other !== undefined) throw new UserError(M.duplicateIteration(path, other, it));
    byIteration.set(it, path);
  }
  if (byIteration.size === 0) throw new UserError(M.noSnapshots(raw.snapshots));

  const iterations = [...byIteration.keys()].sort((a, b) => a - b);
  let dim = 0;
  let firstPath = '';
  let offNormRows = 0;
  let worstNormError = 0;
  // One file at a time: a long run's snapshots need not fit in memory together.
  for (const it of iterations) {
    const path = byIteration.get(it)!;
    const { values, rows, width } = floatMatrix(readNpy(path), path);
    if (rows !== sampleIds.length) throw new UserError(M.snapshotRows(path, rows, raw.probeSampleIds, sampleIds.length));
    if (dim === 0) {
      dim = width;
      firstPath = path;
    } else if (width !== dim) throw new UserError(M.snapshotWidth(path, width, firstPath, dim));
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * width; j < (r + 1) * width; j++) s += values[j] * values[j];
      if (!Number.isFinite(s)) throw new UserError(M.nonFinite(path, r));
      const err = Math.abs(Math.sqrt(s) - 1);
      if (err > UNIT_NORM_TOLERANCE) {
        offNormRows++;
        worstNormError = Math.max(worstNormError, err);
      }
    }
  }
  const configDim = config?.model && typeof (config.model as { dim?: unknown }).dim === 'number' ? (config.model as { dim: number }).dim : undefined;
  if (configDim !== undefined && configDim !== dim) throw new UserError(M.configWidth(paths.config, configDim, firstPath, dim));

  const staleArrow = existsSync(paths.snapshots)
    ? readdirSync(paths.snapshots)
        .filter((f) => {
          const it = iterationFromSnapshotName(f);
          return it !== null && !byIteration.has(it);
        })
        .sort()
        .map((f) => join(paths.snapshots, f))
    : [];

  return {
    runDir,
    runId: record.runId,
    probePath: paths.probe,
    sampleIds,
    labels,
    dim,
    snapshots: iterations.map((iteration) => ({ iteration, source: byIteration.get(iteration)!, target: paths.snapshot(iteration) })),
    normalized: offNormRows === 0,
    offNormRows,
    worstNormError,
    staleArrow,
  };
}

/** Write probe.arrow and one snapshot file per numpy snapshot; returns the paths written. */
export function writeImport(plan: ImportPlan): string[] {
  writeProbe(plan.probePath, { runId: plan.runId, sampleIds: plan.sampleIds, labels: plan.labels });
  const written = [plan.probePath];
  for (const s of plan.snapshots) {
    const { values } = floatMatrix(readNpy(s.source), s.source);
    const embeddings = values instanceof Float32Array ? values : Float32Array.from(values);
    writeSnapshot(s.target, {
      runId: plan.runId,
      iteration: s.iteration,
      sampleIds: plan.sampleIds,
      labels: plan.labels,
      embeddings,
      dim: plan.dim,
      normalized: plan.normalized,
    });
    written.push(s.target);
  }
  return written;
}

/** Plan, then write: the library entry point of `xbm-drift import`. */
export function importRun(runDir: string): { plan: ImportPlan; written: string[] } {
  const plan = planImport(runDir);
  return { plan, written: writeImport(plan) };
}

function checkCsvHeader(path: string, columns: readonly string[]): void {
  const text = readFileSync(path, 'utf8');
  const firstLine = text.split(/\r?\n/, 1)[0];
  if (firstLine.trim() === '') throw new UserError(M.emptyCsv(path));
  const header = new Set(firstLine.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
  const missing = columns.filter((c) => !header.has(c));
  if (missing.length > 0) throw new UserError(M.badCsvHeader(path, missing));
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A 1-D int32/int64 array as Int32Array, each value checked to fit. */
function intVector(a: NpyArray, path: string): Int32Array {
  if (a.dtype !== '<i4' && a.dtype !== '<i8') throw new UserError(M.npyWrongKind(path, a.dtype, 'int32 or int64 (<i4, <i8)'));
  if (a.shape.length !== 1) throw new UserError(M.npyBadShape(path, a.shape, 'one dimension [n]'));
  if (a.data instanceof Int32Array) return a.data;
  const src = a.data as BigInt64Array;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Number(src[i]);
    if (v < INT32_MIN || v > INT32_MAX) throw new UserError(M.notInt32(path, v));
    out[i] = v;
  }
  return out;
}

/** A 2-D float32/float64 array [rows, width], width >= 1. */
function floatMatrix(a: NpyArray, path: string): { values: Float32Array | Float64Array; rows: number; width: number } {
  if (a.dtype !== '<f4' && a.dtype !== '<f8') throw new UserError(M.npyWrongKind(path, a.dtype, 'float32 or float64 (<f4, <f8)'));
  if (a.shape.length !== 2 || a.shape[1] < 1) throw new UserError(M.npyBadShape(path, a.shape, 'two dimensions [n, d] with d >= 1'));
  return { values: a.data as Float32Array | Float64Array, rows: a.shape[0], width: a.shape[1] };
}
