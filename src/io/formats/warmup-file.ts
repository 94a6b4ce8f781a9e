import { obj, type Json } from '../json-values.js';
import { FieldCheck, readJsonFile, writeJsonFile, type JsonFormat } from './json-file.js';
import type { WarmupContext, XbmStartDecision } from './start-decision.js';

/** `warmup --memory-sizes`: one candidate memory size and the drift its oldest entries would carry. */
export interface MemorySizeAdvice {
  memorySize: number;
  /** ceil(M / B) */
  span: number;
  /** D(t; span) at the first snapshot t >= start + span with a measured gap >= span; null if none. */
  drift: number | null;
  /** The snapshot and measured gap the drift was read at. */
  iteration: number | null;
  gap: number | null;
  /** drift <= threshold; false when not measured. */
  ok: boolean;
}

export const WARMUP_SOURCES = ['warmup', 'demo'] as const;

/**
 * analysis/warmup.json: when a warm-up policy would start XBM, decided offline from a run's
 * measured drift. Written by `xbm-drift warmup <run>` and by the demo (which then starts its XBM
 * run there); the report shows it next to the run's own start.
 */
export interface WarmupFile {
  schemaVersion: 1;
  /** Who wrote it: the `warmup` verb or the demo. */
  source: (typeof WARMUP_SOURCES)[number];
  /** The run folder whose analysis/drift.csv the policy read, as given. */
  run: string;
  /** The policy as given: 'staleness', 'plateau:window=3', 'fixed:500'. */
  policySpec: string;
  /** Memory size, batch size, margin and loss the decision used; null in files of older demos. */
  context: WarmupContext | null;
  decision: XbmStartDecision;
  /** `warmup --memory-sizes`: the drift each candidate memory would carry at the start. */
  memoryAdvice: { threshold: number; perSize: MemorySizeAdvice[]; largestOk: number | null } | null;
}

export const WARMUP_FILE_FORMAT: JsonFormat = { what: 'warm-up decision (analysis/warmup.json)', writer: '`xbm-drift warmup <run>`', schemaVersion: 1 };

/** Read and check analysis/warmup.json; null when absent. Any defect is a one-line UserError naming the file. */
export function readWarmupFile(path: string): WarmupFile | null {
  const raw = readJsonFile(path, WARMUP_FILE_FORMAT);
  if (raw === null) return null;
  const c = new FieldCheck(path, WARMUP_FILE_FORMAT);
  const o0 = obj(raw);
  // Demos before schemaVersion 1 wrote the bare decision.
  if (o0 && o0.schemaVersion === undefined && 'policy' in o0 && 'evidence' in o0) {
    checkDecision(c, o0, '');
    return { schemaVersion: 1, source: 'demo', run: '', policySpec: String(o0.policy), context: null, decision: o0 as unknown as XbmStartDecision, memoryAdvice: null };
  }
  const o = c.root(raw);
  if (o.source === undefined) o.source = 'warmup';
  c.oneOf(o, 'source', WARMUP_SOURCES);
  c.need(o, 'run', 'string');
  c.need(o, 'policySpec', 'string');
  const ctx = c.maybe(o, 'context', 'object') as Json | undefined;
  if (ctx) for (const k of ['memorySize', 'batchSize']) c.need(ctx, k, 'number', 'context.');
  else o.context = null;
  checkDecision(c, c.need(o, 'decision', 'object') as Json, 'decision.');
  if (c.maybe(o, 'memoryAdvice', 'object') === undefined) o.memoryAdvice = null;
  return o as unknown as WarmupFile;
}

function checkDecision(c: FieldCheck, d: Json, at: string): void {
  c.nullable(d, 'start', 'number', at);
  c.need(d, 'policy', 'string', at);
  c.need(d, 'parameters', 'object', at);
  c.need(d, 'evidence', 'object', at);
  c.need(d, 'reason', 'string', at);
}

/** Write analysis/warmup.json atomically. */
export function writeWarmupFile(path: string, file: WarmupFile): void {
  writeJsonFile(path, file);
}
