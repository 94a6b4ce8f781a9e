import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { readCsv } from '../io/csv.js';
import { runPaths } from '../io/run-paths.js';
import type { DriftRow, EvalRow, MetricsRow, StalenessRow } from '../io/tables.js';
import type { RunTables, StartDecision } from './types.js';
import { num, obj, pick, readJsonIfExists, stableStringify, str } from './read-json.js';

export type FolderKind = 'run' | 'sweep' | 'missing' | 'other';

/** What a folder holds: the report accepts run folders and sweep folders. */
export function folderKind(dir: string): FolderKind {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return 'missing';
  if (existsSync(`${dir}/sweep.json`)) return 'sweep';
  const p = runPaths(dir);
  if (existsSync(p.run) || (existsSync(p.config) && existsSync(p.metrics))) return 'run';
  return 'other';
}

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

export function parseDecision(v: unknown): StartDecision | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const start = o.start === null ? null : num(o.start ?? o.startIteration);
  const policy = str(o.policy) ?? str(obj(o.policy)?.name);
  if (start === undefined && policy === undefined) return undefined;
  return {
    start: start ?? null,
    policy: policy ?? 'unknown',
    parameters: o.parameters,
    evidence: o.evidence,
    reason: str(o.reason),
  };
}

/** Final metrics: numbers of run.json `final`, or the last evaluation when the run did not finish. */
function finalMetrics(run: unknown, evalRows: EvalRow[] | null): Record<string, number> {
  const out: Record<string, number> = {};
  const f = obj(pick(run, 'final'));
  if (f) for (const [k, v] of Object.entries(f)) if (num(v) !== undefined) out[k] = num(v)!;
  if (Object.keys(out).length === 0 && evalRows && evalRows.length > 0) {
    const last = testRows(evalRows).at(-1);
    if (last)
      for (const k of ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'nmi'] as const)
        if (num(last[k]) !== undefined) out[k] = num(last[k])!;
  }
  return out;
}

/** Evaluation rows on the test split (all rows when the split is not recorded). */
export function testRows(rows: EvalRow[]): EvalRow[] {
  const withSplit = rows.filter((r) => typeof r.split === 'string' && r.split !== '');
  return withSplit.length === 0 ? rows : withSplit.filter((r) => r.split === 'test');
}

/**
 * A configured start (config.json xbm.start, run.json xbm.requested): a number, 'off', null, or
 * the trainer's {kind: 'off' | 'at' | 'auto'}. undefined when it leaves the start to a policy.
 */
export function configuredStart(v: unknown): number | null | undefined {
  if (v === null || v === 'off') return null;
  if (num(v) !== undefined) return num(v);
  const o = obj(v);
  if (o?.kind === 'off') return null;
  if (o?.kind === 'at') return num(o.iteration);
  return undefined;
}

/** A start fixed by the configuration is a decision too: policy 'fixed', as in the paper's code. */
function fixedDecision(run: unknown, config: unknown, start: number | null | undefined): StartDecision | undefined {
  if (start === null || start === undefined) return undefined;
  const requested = configuredStart(pick(run, 'xbm.requested') ?? pick(config, 'xbm.start'));
  return requested === start ? { start, policy: 'fixed', reason: `XBM starts at the configured iteration ${start}.` } : undefined;
}

/** The start iteration: run.json, else config.json when it fixes one, else the metrics' first active step. */
function startIteration(run: unknown, config: unknown, metrics: MetricsRow[] | null): number | null | undefined {
  const fromRun = pick(run, 'xbm.start');
  if (fromRun === null && obj(run)) return null;
  if (num(fromRun) !== undefined) return num(fromRun);
  // Without a memory XBM is off, whatever the start says.
  if (num(pick(config, 'xbm.size')) === 0) return null;
  const fromConfig = configuredStart(pick(config, 'xbm.start'));
  if (fromConfig !== undefined) return fromConfig;
  if (metrics && metrics.length > 0) {
    const first = metrics.find((m) => m.event === 'xbm-start' || Number(m.xbm_active) === 1);
    return first ? first.iteration : undefined;
  }
  return undefined;
}

/** Read a run folder. Missing optional files give null tables; the report decides what to skip. */
export async function loadRun(dir: string): Promise<RunTables> {
  const p = runPaths(dir);
  const run = readJsonIfExists(p.run);
  const config = readJsonIfExists(p.config);
  const warmup = readJsonIfExists(p.warmup);
  const [metrics, evalRows, drift, staleness] = await Promise.all([
    readTable<MetricsRow>(p.metrics),
    readTable<EvalRow>(p.eval),
    readTable<DriftRow>(p.driftCsv),
    readTable<StalenessRow>(p.staleness),
  ]);
  const name = str(pick(run, 'name')) ?? str(pick(config, 'name')) ?? basename(resolve(dir));
  const collapse = obj(pick(run, 'collapse'));
  const iterations = num(pick(config, 'iterations')) ?? num(pick(run, 'iterations'));
  const msPerIteration = num(pick(run, 'timings.msPerIteration')) ?? medianOf(metrics?.map((m) => m.ms_per_iteration));
  const start = startIteration(run, config, metrics);
  return {
    key: name,
    dir,
    name,
    runId: str(pick(run, 'runId')),
    dataset: datasetLabel(pick(config, 'dataset') ?? pick(run, 'dataset')),
    datasetKey: stableStringify(pick(config, 'dataset') ?? pick(run, 'dataset') ?? null),
    status: str(pick(run, 'status')),
    seed: num(pick(run, 'seed')) ?? num(pick(config, 'seed')),
    backend: str(pick(run, 'backend.name')) ?? str(pick(run, 'backend')),
    startedAt: str(pick(run, 'startedAt')),
    endedAt: str(pick(run, 'endedAt')),
    iterations,
    batchSize: num(pick(config, 'batchSize', 'batch_size', 'batch.size')),
    loss: str(pick(config, 'loss.kind')) ?? str(pick(config, 'loss')),
    embeddingDim: num(pick(config, 'model.embeddingDim', 'model.embeddingDimension', 'model.dim', 'model.embedding', 'embeddingDim')),
    xbm: {
      size: num(pick(run, 'xbm.size')) ?? num(pick(config, 'xbm.size')),
      weight: num(pick(run, 'xbm.weight')) ?? num(pick(config, 'xbm.weight')),
      start,
      decision: parseDecision(pick(run, 'xbm.decision')) ?? fixedDecision(run, config, start),
      threshold: num(pick(run, 'xbm.threshold')),
      span: num(pick(run, 'xbm.span')),
    },
    suggestion: parseDecision(warmup),
    timings: { msPerIteration, wallSeconds: num(pick(run, 'timings.wallSeconds')) },
    final: finalMetrics(run, evalRows),
    collapse: collapse ? { collapsed: collapse.collapsed === true, signals: collapse.signals } : undefined,
    metrics,
    eval: evalRows,
    drift,
    staleness,
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
