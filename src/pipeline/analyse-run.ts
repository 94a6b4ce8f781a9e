import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertSomeGapPossible, computeDrift, defaultGaps, type DriftResult } from '../analysis/drift.js';
import { driftWithGaps, hasSnapshots } from '../analysis/drift-on-demand.js';
import { writeDriftOutputs } from '../analysis/drift-output.js';
import { decideRunStart, runStartContext } from '../analysis/warmup-run.js';
import { parseWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { memorySpan } from '../analysis/warmup/threshold.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { isUserError } from '../errors.js';
import type { WarmupFile } from '../io/formats/warmup-file.js';
import { runPaths } from '../io/run-paths.js';
import { SnapshotReader } from '../io/snapshot-reader.js';
import { buildReport } from '../report/build-report.js';
import { renderReport, type RenderResult } from '../report/render-report.js';
import type { Report } from '../report/types.js';

export interface AnalyseRunOptions {
  /** Drift gaps (default: the powers of ten the snapshots allow and their smallest spacing); the decision adds any it needs. */
  gaps?: readonly number[];
  /** The warm-up policy spec (default: config.json's auto policy, else staleness); null: no decision. */
  policy?: string | null;
  /** M for the decision (default: config.json's xbm.size, else the training split). */
  memorySize?: number;
  /** Who writes analysis/warmup.json. */
  source?: WarmupFile['source'];
  /** Where the report goes (default <dir>/report); null: no report. */
  reportDir?: string | null;
  /** One line for what is done on the way: drift warnings, drift computed for the decision. */
  note?: (line: string) => void;
}

export interface RunAnalysis {
  /** The gaps asked for, and the drift at them. */
  gaps: number[];
  drift: DriftResult;
  /** The drift files written (analysis/drift.csv, drift.arrow). */
  written: string[];
  /** The start decision as written to analysis/warmup.json; null when none was asked for or it could not be made. */
  warmup: WarmupFile | null;
  /** The decision's answer, line by line, as `xbm-drift warmup` prints it. */
  warmupLines: string[];
  /** Why no decision could be made (the policy's one-line reason: a missing size, too few snapshots); null otherwise. */
  warmupSkipped: string | null;
  report: { report: Report; result: RenderResult } | null;
}

/**
 * Analyse a run folder as `drift`, `warmup` and `report` would, one after the other: its drift at
 * the given gaps (analysis/drift.csv, drift.arrow), the XBM start decision (analysis/warmup.json;
 * a policy that cannot decide on this run is skipped with its reason, the rest goes on) and the
 * report. Reads and writes the run folder only, so it works on runs made anywhere (the trainer,
 * an imported PyTorch run). Input problems are UserErrors, as in the CLI.
 */
export async function analyseRun(dir: string, options: AnalyseRunOptions = {}): Promise<RunAnalysis> {
  const note = options.note ?? (() => {});
  // A policy given is checked before anything is written; config.json's own is read with the run.
  const given = typeof options.policy === 'string' ? parseWarmupPolicy(options.policy) : undefined;
  const reader = SnapshotReader.open(dir);
  const gaps = [...(options.gaps ?? defaultGaps(reader.iterations()))];
  assertSomeGapPossible(dir, reader.iterations(), gaps);
  const drift = computeDrift(reader, gaps);
  for (const w of drift.warnings) note(w);
  const written = await writeDriftOutputs(dir, drift);

  let warmup: WarmupFile | null = null;
  let warmupSkipped: string | null = null;
  const warmupLines: string[] = [];
  if (options.policy !== null) {
    try {
      const context = runStartContext(dir, { memorySize: options.memorySize });
      const policySpec = options.policy ?? context.autoPolicy ?? STUDY_CHOICE.policy;
      const print = (line: string) => void warmupLines.push(line);
      const policy = given ?? parseWarmupPolicy(policySpec);
      warmup = await decideRunStart(dir, { policy, policySpec, context, memorySizes: null, source: options.source ?? 'warmup', print, note });
    } catch (e) {
      if (!isUserError(e)) throw e;
      warmupSkipped = e.message;
    }
  }

  let report: RunAnalysis['report'] = null;
  if (options.reportDir !== null) {
    const built = await buildReport([dir]);
    report = { report: built, result: await renderReport(built, options.reportDir ?? join(dir, 'report')) };
  }
  return { gaps, drift, written, warmup, warmupLines, warmupSkipped, report };
}

/**
 * For a report of a run without analysis/drift.csv: its drift at the default gaps and at the
 * memory span S (the gap the start decision reads), computed first with one line through `note`.
 * A run with a drift table, or without snapshots to compute one from, is left as it is.
 */
export async function driftForReport(dir: string, note: (line: string) => void): Promise<void> {
  if (existsSync(runPaths(dir).driftCsv) || !hasSnapshots(dir)) return;
  const { memorySize, batchSize } = runStartContext(dir);
  const span = memorySize !== undefined && batchSize !== undefined ? [memorySpan(memorySize, batchSize)] : [];
  await driftWithGaps(dir, [...defaultGaps(SnapshotReader.open(dir).iterations()), ...span], note);
}
