import type { EvalRow } from '../tables.js';
import type { Json } from '../json-values.js';
import { FieldCheck, readJsonFile, writeJsonFile, type JsonFormat } from './json-file.js';
import type { XbmStart, XbmStartDecision } from './start-decision.js';

export const RUN_STATUSES = ['running', 'completed', 'interrupted', 'diverged', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** An event of the XBM controller: a start, a pause or resume of the guard, drift crossing the threshold. */
export interface RunXbmEvent {
  iteration: number;
  kind: string;
  message: string;
  evidence?: unknown;
}

/**
 * run.json `backend`: the backend the run computed on, as backend/init-backend.ts reports it (its
 * BackendInfo, with the choices and the WebGPU probe typed, is written here as is).
 */
export interface RunBackend {
  /** --backend as given: 'auto', 'wasm', ... */
  choice: string;
  /** tf.getBackend(): 'tensorflow' for both tfjs-node packages, 'wasm', 'cpu' */
  name: string;
  threads: number;
  attempts: { backend: string; ok: boolean; reason?: string }[];
  tfjsVersion: string;
  customKernels: string[];
  notes: string[];
  syncReads: boolean;
  webgpu?: unknown;
}

/** run.json: what happened in a run (config.json says what was asked). Written by the trainer. */
export interface RunRecord {
  schemaVersion: 1;
  runId: string;
  name: string;
  status: RunStatus;
  message?: string;
  dataset: {
    spec: string; description: string; imageShape: readonly number[]; trainSize: number; testSize: number; trainClasses: number; testClasses: number;
    /** how the test split is scored (leave-one-out, query vs gallery, several sets); absent in older records */
    protocol?: string;
  };
  versions: { xbmDrift: string; node: string; tfjs: string };
  backend: RunBackend;
  seed: number;
  startedAt: string;
  endedAt: string | null;
  resumes: { at: string; iteration: number }[];
  iterationsDone: number;
  iterations: number;
  batchSize: number;
  parameters: number;
  xbm: {
    size: number;
    weight: number;
    bytes: number;
    /** The start as configured (config.json xbm.start). */
    requested: XbmStart;
    /** The iteration XBM started at; null while (or when) it never started. */
    start: number | null;
    paused: boolean;
    /** The drift threshold D(t; span) is watched against (NaN before the run knows it). */
    threshold: number;
    /** S = ceil(M / B), in iterations; 0 without a memory. */
    span: number;
    /** The online policy's decision, when an auto policy started XBM. */
    decision: XbmStartDecision | null;
    events: RunXbmEvent[];
  };
  /** NaN (written as null) until the run has timed a step. */
  timings: { msPerIteration: number; msPerIterationP90: number; wallSeconds: number; snapshotSeconds: number; evalSeconds: number; trainSeconds: number };
  /** The last evaluation on the test split; null before the first. */
  final: EvalRow | null;
  collapse: { collapsed: boolean; signals: unknown[] } | null;
  probe: { size: number } | null;
  /** Smart mining (--batch-mining smart): its configuration, refreshes and the controller's adjustments; absent otherwise. */
  smartMining?: SmartMiningSummary;
  /** Every default the configuration applied (a flag not given) and where it came from; absent in older records. */
  defaultsApplied?: DefaultApplied[];
}

/** One default applied to a flag that was not given: its value and the reason (a study row, a paper, the defaults table). */
export interface DefaultApplied {
  flag: string;
  value: unknown;
  source: string;
}

/** run.json `smartMining`: index.csv has the per-refresh rows, metrics.csv `event` the adjustments' iterations. */
export interface SmartMiningSummary {
  refresh: number;
  index: string;
  negatives: number;
  controller: boolean;
  /** the neighbourhood size k configured, and where the controller left it */
  startNeighbours: number;
  finalNeighbours: number;
  refreshes: number;
  /** embedding the split and building the index, summed over refreshes */
  refreshSeconds: number;
  meanRecall: number;
  adjustments: { iteration: number; kind: string; from: number; to: number; reason: string }[];
}

export const RUN_RECORD_FORMAT: JsonFormat = { what: 'run record (run.json)', writer: '`xbm-drift train`', schemaVersion: 1 };

const TIMINGS = ['msPerIteration', 'msPerIterationP90', 'wallSeconds', 'snapshotSeconds', 'evalSeconds', 'trainSeconds'] as const;

/** Read and check run.json; null when the file does not exist. Any defect is a one-line UserError naming the file. */
export function readRunRecord(path: string): RunRecord | null {
  const raw = readJsonFile(path, RUN_RECORD_FORMAT);
  if (raw === null) return null;
  const c = new FieldCheck(path, RUN_RECORD_FORMAT);
  const o = c.root(raw);
  c.need(o, 'runId', 'string');
  c.need(o, 'name', 'string');
  c.oneOf(o, 'status', RUN_STATUSES);
  c.maybe(o, 'message', 'string');
  const dataset = c.need(o, 'dataset', 'object') as Json;
  c.need(dataset, 'spec', 'string', 'dataset.');
  c.need(dataset, 'trainSize', 'number', 'dataset.');
  c.need(dataset, 'testSize', 'number', 'dataset.');
  c.need(o, 'versions', 'object');
  c.need(o, 'backend', 'object');
  c.need(o, 'seed', 'number');
  c.need(o, 'startedAt', 'string');
  c.nullable(o, 'endedAt', 'string');
  c.need(o, 'resumes', 'array');
  c.need(o, 'iterationsDone', 'number');
  c.need(o, 'iterations', 'number');
  c.need(o, 'batchSize', 'number');
  c.need(o, 'parameters', 'number');
  const xbm = c.need(o, 'xbm', 'object') as Json;
  c.need(xbm, 'size', 'number', 'xbm.');
  c.need(xbm, 'weight', 'number', 'xbm.');
  c.need(xbm, 'bytes', 'number', 'xbm.');
  c.need(xbm, 'requested', 'object', 'xbm.');
  c.nullable(xbm, 'start', 'number', 'xbm.');
  c.need(xbm, 'paused', 'boolean', 'xbm.');
  xbm.threshold = c.numberOrNaN(xbm, 'threshold', 'xbm.');
  c.need(xbm, 'span', 'number', 'xbm.');
  c.nullable(xbm, 'decision', 'object', 'xbm.');
  c.need(xbm, 'events', 'array', 'xbm.');
  const timings = c.need(o, 'timings', 'object') as Json;
  for (const k of TIMINGS) timings[k] = c.numberOrNaN(timings, k, 'timings.');
  c.nullable(o, 'final', 'object');
  c.nullable(o, 'collapse', 'object');
  c.nullable(o, 'probe', 'object');
  c.maybe(o, 'defaultsApplied', 'array');
  return o as unknown as RunRecord;
}

/** Write run.json atomically (NaN and Infinity become null, which readRunRecord reads back as NaN). */
export function writeRunRecord(path: string, record: RunRecord): void {
  writeJsonFile(path, record);
}
