/**
 * Synthetic run and sweep folders that follow the shared contracts (src/io/run-paths.ts,
 * src/io/tables.ts, run.json/config.json as the trainer writes them). Deterministic: the same
 * options give the same bytes, so rendered figures can be golden files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCsv } from '../../src/io/csv.js';
import { writeRunRecord, type RunRecord } from '../../src/io/formats/run-record.js';
import { writeWarmupFile } from '../../src/io/formats/warmup-file.js';
import { INDEX_COLUMNS, indexTablePath, type IndexRefreshRow } from '../../src/io/formats/index-table.js';
import { MEMORY_STALENESS_COLUMNS, memoryStalenessPath, type MemoryStalenessRow } from '../../src/io/formats/memory-staleness.js';
import { writeSweepFile } from '../../src/io/formats/sweep-file.js';
import type { XbmStartDecision } from '../../src/io/formats/start-decision.js';
import { runPaths } from '../../src/io/run-paths.js';
import {
  DRIFT_COLUMNS,
  EVAL_COLUMNS,
  METRICS_COLUMNS,
  TRAINER_STALENESS_COLUMNS,
  type DriftRow,
  type EvalRow,
  type MetricsRow,
  type StalenessRow,
} from '../../src/io/tables.js';

export interface FixtureRunOptions {
  name: string;
  dataset?: string;
  batchSize?: number;
  perClass?: number;
  iterations?: number;
  /** null: XBM off (a baseline) */
  xbmStart?: number | null;
  xbmSize?: number;
  policy?: string;
  /** Write config.json's start as the trainer's object ({kind: 'at', iteration}) instead of a number. */
  configStartObject?: boolean;
  dim?: number;
  evalEvery?: number;
  driftEvery?: number;
  gaps?: number[];
  stalenessEvery?: number;
  files?: Partial<Record<'run' | 'config' | 'metrics' | 'eval' | 'drift' | 'staleness' | 'warmup' | 'index' | 'memoryStaleness', boolean>>;
  status?: 'completed' | 'interrupted' | 'failed';
  collapsed?: boolean;
  /** Multiplies R@1, so runs differ. */
  quality?: number;
  msPerIteration?: number;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
/** Deterministic wiggle in [-1, 1]. */
const wiggle = (i: number, k = 1) => Math.sin(i * 1.7 * k + k) * Math.cos(i * 0.31 + 2 * k);

export async function makeRun(dir: string, o: FixtureRunOptions): Promise<string> {
  const B = o.batchSize ?? 64;
  const K = o.perClass ?? 4;
  const T = o.iterations ?? 200;
  const start = o.xbmStart === undefined ? Math.round(T / 2) : o.xbmStart;
  const M = o.xbmSize ?? 1000;
  const dim = o.dim ?? 64;
  const files = { run: true, config: true, metrics: true, eval: true, drift: true, staleness: true, warmup: false, index: false, memoryStaleness: false, ...o.files };
  const quality = o.quality ?? 1;
  const p = runPaths(dir);
  mkdirSync(dir, { recursive: true });

  const policy = o.policy ?? 'staleness';
  const span = Math.ceil(M / B);
  const decision = start === null ? undefined : fixtureDecision(start, policy, M, B, `D(t; ${span}) stayed below 0.02 for 2 snapshots.`);

  if (files.config)
    writeJson(p.config, {
      name: o.name,
      dataset: { spec: o.dataset ?? 'mnist2', dataSeed: 0 },
      batchSize: B,
      iterations: T,
      loss: { kind: 'contrastive', margin: 0.5 },
      xbm: {
        size: start === null ? 0 : M,
        weight: 1,
        start: start === null ? { kind: 'off' } : o.configStartObject ? { kind: 'at', iteration: start } : start,
      },
      model: { kind: 'cnn', channels: [32, 64, 128], dim },
      seed: 1,
    });

  const metrics: MetricsRow[] = [];
  for (let i = 0; i < T; i++) {
    const active = start !== null && i >= start;
    const since = active ? i - start! : -1;
    const fill = active ? Math.min(M, (since + 1) * B) : 0;
    const ageMax = active ? Math.min(since, span - 1) : NaN;
    metrics.push({
      iteration: i,
      epoch: Math.floor(i / 50),
      loss: 0,
      batch_loss: r4(1.2 * Math.exp(-i / (60 * quality)) + 0.25 + 0.06 * wiggle(i)),
      memory_loss: active ? r4((o.collapsed ? 5 + since * 8 : 2 * Math.exp(-since / 40) + 0.4) + 0.1 * wiggle(i, 2)) : 0,
      lr: 1e-3,
      xbm_active: active ? 1 : 0,
      memory_fill: fill,
      memory_bytes: active ? M * dim * 4 : 0,
      memory_age_min: active ? 0 : NaN,
      memory_age_mean: active ? r4(ageMax / 2) : NaN,
      memory_age_max: ageMax,
      batch_pos_pairs: B * (K - 1),
      batch_neg_pairs: B * (B - K),
      batch_active_pairs: Math.round(B * (K - 1) + B * (B - K) * (0.3 * Math.exp(-i / (70 * quality)) + 0.02)),
      memory_pos_pairs: active ? Math.round((B * fill * (K - 1)) / (B * 4)) : 0,
      memory_neg_pairs: active ? B * fill - Math.round((B * fill * (K - 1)) / (B * 4)) : 0,
      memory_active_pairs: active ? Math.round(B * fill * (0.05 * Math.exp(-since / 50) + 0.005)) : 0,
      ms_per_iteration: r4((o.msPerIteration ?? 47) * (active ? 1.2 : 1) + wiggle(i, 3)),
      ms_data: 5,
      ms_step: 40,
      drift_s: NaN,
      event: active && since === 0 ? 'xbm-start' : '',
    });
    metrics[i].loss = r4(metrics[i].batch_loss + metrics[i].memory_loss);
  }
  if (files.metrics) await writeCsv(p.metrics, METRICS_COLUMNS, metrics);

  const evalRows: EvalRow[] = [];
  for (let i = 0; i <= T; i += o.evalEvery ?? 50) {
    const base = Math.min(0.95, quality * (0.2 + 0.5 * (1 - Math.exp(-i / 80))));
    const r1 = o.collapsed && start !== null && i > start ? 0.03 : r4(base);
    evalRows.push({
      iteration: i,
      split: 'test',
      recall_at_1: r1,
      recall_at_2: r4(Math.min(1, r1 * 1.15)),
      recall_at_4: r4(Math.min(1, r1 * 1.28)),
      recall_at_8: r4(Math.min(1, r1 * 1.38)),
      map_at_r: r4(r1 * 0.45),
      nmi: r4(0.3 + r1 / 3),
      ms_eval: 800,
    });
  }
  if (files.eval) await writeCsv(p.eval, EVAL_COLUMNS, evalRows);

  const gaps = o.gaps ?? [1, 10, 50];
  const drift: DriftRow[] = [];
  for (let t = 0; t <= T; t += o.driftEvery ?? 20)
    for (const gap of gaps) {
      if (t - gap < 0) continue;
      const mean = r4(0.8 * Math.exp(-t / 70) * Math.sqrt(gap / 10) + 0.002 * gap ** 0.5 + (o.collapsed && start !== null && t > start ? 1.5 : 0));
      drift.push({ iteration: t, gap, mean, median: r4(mean * 0.9), p90: r4(mean * 1.8), max: r4(mean * 3), n: 256 });
    }
  if (files.drift) {
    mkdirSync(p.analysis, { recursive: true });
    await writeCsv(p.driftCsv, DRIFT_COLUMNS, drift);
  }
  if (files.warmup)
    writeWarmupFile(p.warmup, {
      schemaVersion: 1,
      source: 'demo',
      run: dir,
      policySpec: policy,
      context: { memorySize: M, batchSize: B, margin: 0.5, lossKind: 'contrastive' },
      decision: fixtureDecision(Math.round(T / 3), policy, M, B, 'suggested'),
      memoryAdvice: null,
    });

  const staleness: StalenessRow[] = [];
  if (start !== null)
    for (let i = start + 10; i < T; i += o.stalenessEvery ?? 25) {
      const dm = r4(0.01 + 0.05 * Math.exp(-(i - start) / 60));
      const entries = Math.min(M, (i - start + 1) * B);
      // Decision flips shrink with the drift: about dm x 4 of the pairs flip.
      const pairs = B * entries - B;
      const flips = Math.round(pairs * dm * 4);
      staleness.push({ iteration: i, entries, age_mean: (span - 1) / 2, age_max: span - 1, drift_mean: dm, drift_median: r4(dm * 0.9), drift_p90: r4(dm * 2), drift_max: r4(dm * 4),
        flip_pairs: pairs, active_stale: Math.round(pairs * 0.3), active_fresh: Math.round(pairs * 0.3) + flips, flips, flip_share: flips / pairs });
    }
  if (files.staleness && staleness.length > 0) await writeCsv(p.staleness, TRAINER_STALENESS_COLUMNS, staleness);
  // Smart mining's refreshes (index.csv), every 40 iterations: staleness falls, cost and recall steady.
  if (files.index) {
    const rows: IndexRefreshRow[] = [];
    for (let i = 40; i < T; i += 40) {
      const dm = i === 40 ? NaN : r4(0.02 + 0.2 * Math.exp(-i / 80));
      rows.push({ iteration: i, entries: 3000, index: 'hnsw', neighbours: 32, ms_embed: 900 + (i % 7), ms_build: 200 + (i % 5), ms_query: 0.05, recall_k: 10, recall: r4(0.97 + 0.0001 * i),
        age: i === 40 ? NaN : 40, drift_mean: dm, drift_median: r4(dm * 0.9), drift_p90: r4(dm * 2), drift_max: r4(dm * 4), anchors: 640, positive_fallbacks: 3, negative_fallbacks: 5 });
    }
    await writeCsv(indexTablePath(dir), INDEX_COLUMNS, rows);
  }
  // The in-loss staleness (memory-staleness.csv) after the start: older rows drift more and draw fewer active pairs.
  if (files.memoryStaleness && start !== null) {
    const rows: MemoryStalenessRow[] = [];
    for (let i = start + 1; i < T; i++)
      for (const bin of [0, 1, 2, 4, 8].filter((b) => b <= i - start - 1)) {
        const returned = bin === 0 ? 0 : (i + bin) % 3;
        const d = r4(0.02 * (1 + bin) * (1 + Math.exp(-(i - start) / 40)));
        rows.push({ iteration: i, age_bin: bin, entries: B * Math.max(1, bin), pairs: B * B * Math.max(1, bin), active_pairs: Math.round((B * B * Math.max(1, bin)) / (2 + bin)), returned, mean_sq_drift: returned ? d : NaN, max_sq_drift: returned ? r4(2 * d) : NaN });
      }
    await writeCsv(memoryStalenessPath(dir), MEMORY_STALENESS_COLUMNS, rows);
  }

  if (files.run) {
    const last = evalRows.at(-1)!;
    writeRunRecord(
      p.run,
      fixtureRunRecord({
        runId: `${o.name}-0001`,
        name: o.name,
        dataset: { ...fixtureRunRecord({}).dataset, spec: o.dataset ?? 'mnist2' },
        status: o.status ?? 'completed',
        iterations: T,
        iterationsDone: T,
        batchSize: B,
        xbm: {
          size: start === null ? 0 : M, weight: 1, bytes: start === null ? 0 : M * dim * 4, requested: start === null ? { kind: 'off' } : { kind: 'at', iteration: start },
          start, paused: false, threshold: NaN, span: start === null ? 0 : span, decision: decision ?? null, events: [],
        },
        timings: { ...fixtureRunRecord({}).timings, msPerIteration: o.msPerIteration ?? 47, wallSeconds: r4(((o.msPerIteration ?? 47) * T) / 1000) },
        final: last,
        collapse: { collapsed: !!o.collapsed, signals: o.collapsed ? [{ kind: 'memory-loss-explosion', iteration: (start ?? 0) + 5, value: 45, reference: 2, message: 'memory loss 45 is 22x its reference 2' }] : [] },
      }),
    );
  }
  return dir;
}

/** A warm-up decision as a policy writes it (the evidence trimmed to what the report shows). */
export function fixtureDecision(start: number, policy: string, M: number, B: number, reason: string): XbmStartDecision {
  const span = Math.ceil(M / B);
  return {
    start,
    policy: policy as XbmStartDecision['policy'],
    parameters: { window: 2 },
    evidence: { memorySpan: span, memorySize: M, batchSize: B, gap: span, threshold: 0.02, driftThreshold: 0.02, window: 2, firedAt: [start - 20, start] } as unknown as XbmStartDecision['evidence'],
    reason,
  };
}

/** A complete run.json as the trainer writes it at the end of a run; `over` replaces top-level fields. */
export function fixtureRunRecord(over: Partial<RunRecord>): RunRecord {
  return {
    schemaVersion: 1,
    runId: 'run-0001',
    name: 'run',
    status: 'completed',
    dataset: { spec: 'mnist2', description: 'two-digit MNIST', imageShape: [28, 56, 1], trainSize: 5000, testSize: 5000, trainClasses: 50, testClasses: 50 },
    versions: { xbmDrift: '0.1.0', node: 'v20.19.0', tfjs: '4.22.0' },
    backend: { choice: 'cpu', name: 'cpu', threads: 1, attempts: [], tfjsVersion: '4.22.0' } as unknown as RunRecord['backend'],
    seed: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:10:00.000Z',
    resumes: [],
    iterationsDone: 200,
    iterations: 200,
    batchSize: 64,
    parameters: 1000,
    xbm: { size: 0, weight: 1, bytes: 0, requested: { kind: 'off' }, start: null, paused: false, threshold: NaN, span: 0, decision: null, events: [] },
    timings: { msPerIteration: 47, msPerIterationP90: 50, wallSeconds: 9.4, snapshotSeconds: 0, evalSeconds: 0, trainSeconds: 9.4 },
    final: null,
    collapse: { collapsed: false, signals: [] },
    probe: { size: 256 },
    ...over,
  };
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

/** A baseline and an XBM run of the same dataset: the usual comparison. */
export async function makePair(root: string, o: Partial<FixtureRunOptions> = {}): Promise<{ baseline: string; xbm: string }> {
  const baseline = await makeRun(join(root, 'baseline'), { ...o, name: 'baseline', xbmStart: null, quality: 1 });
  const xbm = await makeRun(join(root, 'xbm'), { ...o, name: 'xbm', xbmStart: o.xbmStart ?? 100, quality: 1.1, msPerIteration: 55 });
  return { baseline, xbm };
}

/**
 * A sweep folder as `xbm-drift sweep` leaves it: sweep.json plus one run folder per point.
 * `values` -> run options decides each point's run; points listed in `missing` get no folder.
 */
export async function makeSweep(
  dir: string,
  grid: { key: string; values: string[] }[],
  o: { iterations?: number; missing?: string[] } = {},
): Promise<string> {
  let points: Record<string, string>[] = [{}];
  for (const a of grid) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  const named = points.map((values) => ({ name: Object.entries(values).map(([k, v]) => `${k}-${v}`).join('_'), values, args: [] }));
  mkdirSync(dir, { recursive: true });
  writeSweepFile(dir, { schemaVersion: 1, grid, iterations: o.iterations ?? 60, trainFlags: [], points: named, createdAt: '2025-01-01T00:00:00.000Z' });
  for (const p of named) {
    if (o.missing?.includes(p.name)) continue;
    const batch = Number(p.values.batch ?? 32);
    const on = p.values.xbm !== 'off';
    const memory = Number(p.values.memory ?? 512);
    // R@1 grows with the batch, more with XBM: the shape of the paper's Figure 1.
    const quality = 0.6 + 0.1 * Math.log2(batch / 16) + (on ? 0.25 + 0.02 * Math.log2(memory / 256) : 0);
    await makeRun(join(dir, p.name), {
      name: p.name,
      batchSize: batch,
      xbmStart: on ? 20 : null,
      xbmSize: memory,
      iterations: o.iterations ?? 60,
      quality,
      evalEvery: 30,
      driftEvery: 30,
      files: { drift: false, staleness: false },
    });
  }
  return dir;
}
