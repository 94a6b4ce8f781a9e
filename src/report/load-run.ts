import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { readCsv } from '../io/csv.js';
import { readRunConfig } from '../io/formats/run-config.js';
import { readDriftTable } from '../io/formats/drift-table.js';
import { readRunRecord, type RunRecord } from '../io/formats/run-record.js';
import { configuredStart, type StartDecision } from '../io/formats/start-decision.js';
import { readWarmupFile } from '../io/formats/warmup-file.js';
import { num, obj, stableStringify, str } from '../io/json-values.js';
import { runPaths } from '../io/run-paths.js';
import { readIndexTable } from '../io/formats/index-table.js';
import { readMemoryStaleness } from '../io/formats/memory-staleness.js';
import { testRows, type EvalRow, type MetricsRow, type StalenessRow } from '../io/tables.js';
import { loadRepresentation } from './load-representation.js';
import type { RunTables } from './types.js';

type RunConfig = ReturnType<typeof readRunConfig>;

async function readTable<T extends object>(path: string): Promise<T[] | null> {
  if (!existsSync(path)) return null;
  return readCsv<T>(path);
}

/** A dataset as text: its name, or its JSON when it is an object without one. */
export function datasetLabel(dataset: unknown): string {
  if (dataset === undefined || dataset === null) return 'unknown';
  if (typeof dataset === 'string') return dataset;
  const o = obj(dataset);
  const nameKey = ['name', 'spec', 'kind'].find((k) => typeof o?.[k] === 'string');
  const name = nameKey ? str(o![nameKey]) : undefined;
  const rest = o ? Object.keys(o).filter((k) => k !== nameKey) : [];
  if (name && rest.length === 0) return name;
  return name ? `${name} ${stableStringify(Object.fromEntries(rest.map((k) => [k, o![k]])))}` : stableStringify(dataset);
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);

/** Final metrics: run.json `final`, or the last evaluation when the run did not finish. */
function finalMetrics(run: RunRecord | null, evalRows: EvalRow[] | null): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'nmi'] as const;
  const from = run?.final ?? (evalRows && evalRows.length > 0 ? testRows(evalRows).at(-1) : undefined);
  if (from) for (const k of keys) if (num(from[k]) !== undefined) out[k] = num(from[k])!;
  return out;
}

/** A start fixed by the configuration is a decision too: policy 'fixed', as in the paper's code. */
function fixedDecision(run: RunRecord | null, config: RunConfig, start: number | null | undefined): StartDecision | undefined {
  if (start === null || start === undefined) return undefined;
  const requested = configuredStart(run?.xbm.requested ?? config?.xbm?.start);
  return requested === start ? { start, policy: 'fixed', reason: `XBM starts at the configured iteration ${start}.` } : undefined;
}

/** The start iteration: run.json, else config.json when it fixes one, else the metrics' first active step. */
function startIteration(run: RunRecord | null, config: RunConfig, metrics: MetricsRow[] | null): number | null | undefined {
  if (run) return run.xbm.start;
  // Without a memory XBM is off, whatever the start says.
  if (num(config?.xbm?.size) === 0) return null;
  const fromConfig = configuredStart(config?.xbm?.start);
  if (fromConfig !== undefined) return fromConfig;
  if (metrics && metrics.length > 0) {
    const first = metrics.find((m) => m.event === 'xbm-start' || Number(m.xbm_active) === 1);
    return first ? first.iteration : undefined;
  }
  return undefined;
}

/**
 * Read a run folder through the run-folder formats (src/io/formats). Missing optional files give
 * null tables; the report decides what to skip. A damaged run.json, config.json or warmup.json is
 * a one-line UserError naming the file.
 */
export async function loadRun(dir: string): Promise<RunTables> {
  const p = runPaths(dir);
  const run = readRunRecord(p.run);
  const config = readRunConfig(p.config);
  const warmup = readWarmupFile(p.warmup);
  const [metrics, evalRows, drift, staleness, index, memoryStaleness] = await Promise.all([
    readTable<MetricsRow>(p.metrics),
    readTable<EvalRow>(p.eval),
    readDriftTable(dir).then((t) => t?.rows ?? null),
    readTable<StalenessRow>(p.staleness),
    readIndexTable(dir),
    readMemoryStaleness(dir),
  ]);
  const name = run?.name ?? str(config?.name) ?? basename(resolve(dir));
  const msPerIteration = finite(run?.timings.msPerIteration) ?? medianOf(metrics?.map((m) => m.ms_per_iteration));
  const start = startIteration(run, config, metrics);
  const dataset = config?.dataset ?? run?.dataset;
  const batchSize = num(config?.batchSize) ?? run?.batchSize;
  const memorySize = run?.xbm.size ?? num(config?.xbm?.size);
  return {
    key: name,
    dir,
    name,
    runId: run?.runId,
    dataset: datasetLabel(dataset),
    datasetKey: stableStringify(dataset ?? null),
    status: run?.status,
    seed: run?.seed ?? num(config?.seed),
    backend: run?.backend.name,
    startedAt: run?.startedAt,
    endedAt: run?.endedAt ?? undefined,
    iterations: num(config?.iterations) ?? run?.iterations,
    batchSize: num(config?.batchSize) ?? run?.batchSize,
    loss: str(config?.loss?.kind),
    embeddingDim: num(config?.model?.dim),
    xbm: {
      size: run?.xbm.size ?? num(config?.xbm?.size),
      weight: run?.xbm.weight ?? num(config?.xbm?.weight),
      start,
      decision: run?.xbm.decision ?? fixedDecision(run, config, start),
      threshold: finite(run?.xbm.threshold),
      span: run?.xbm.span,
    },
    suggestion: warmup?.decision,
    suggestionSource: warmup ? { writer: warmup.source, run: warmup.run } : undefined,
    timings: { msPerIteration, wallSeconds: finite(run?.timings.wallSeconds) },
    final: finalMetrics(run, evalRows),
    collapse: run?.collapse ? { collapsed: run.collapse.collapsed === true, signals: run.collapse.signals } : undefined,
    metrics,
    eval: evalRows,
    drift,
    staleness,
    index,
    memoryStaleness,
    representation: loadRepresentation(dir, { key: name, start, drift, batchSize, memorySize }),
  };
}

export function medianOf(values: readonly unknown[] | undefined): number | undefined {
  const xs = (values ?? []).map(Number).filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

/** Give every run a distinct key (its name, then name #2, ...), in input order. */
export function assignKeys(runs: RunTables[]): RunTables[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, key: `${r.name} #${n}` };
  });
}

/**
 * Name the run each analysis/warmup.json read by its key in this report: the folder it names
 * (as written, so resolved from here), else the one report run with that folder name (the demo
 * writes the path as given, which a report made from another folder resolves elsewhere). Older
 * demos wrote no path: their suggestion read the run itself.
 */
export function linkSuggestionSources(runs: RunTables[]): RunTables[] {
  const byPath = new Map(runs.map((r) => [resolve(r.dir), r.key]));
  return runs.map((r) => {
    const src = r.suggestionSource;
    if (!src) return r;
    const named = runs.filter((o) => basename(resolve(o.dir)) === basename(resolve(src.run)));
    const key = src.run === '' ? r.key : byPath.get(resolve(src.run)) ?? (named.length === 1 ? named[0].key : undefined);
    return { ...r, suggestionSource: { ...src, ...(key !== undefined ? { key } : {}) } };
  });
}
