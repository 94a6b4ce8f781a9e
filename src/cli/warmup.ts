import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { adviseMemorySize } from '../analysis/warmup/memory-advice.js';
import { assertEvaluable, decideWarmup } from '../analysis/warmup/decide.js';
import { OnlineWarmup } from '../analysis/warmup/online.js';
import { formatWarmupPolicy, parseWarmupPolicy, validateWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { memorySpan, normaliseLossKind } from '../analysis/warmup/threshold.js';
import type { WarmupContext, WarmupPolicyConfig } from '../analysis/warmup/types.js';
import { UserError } from '../errors.js';
import { LOSS_KINDS, similarityScale, type LossConfig, type LossKind } from '../losses/registry.js';
import { readCsv } from '../io/csv.js';
import { readRunConfig } from '../io/formats/run-config.js';
import { readRunRecord } from '../io/formats/run-record.js';
import { writeWarmupFile, type WarmupFile } from '../io/formats/warmup-file.js';
import { runPaths } from '../io/run-paths.js';
import { DRIFT_COLUMNS, DRIFT_OPTIONAL_COLUMNS, withOptionalDriftColumns, type DriftRow } from '../io/tables.js';
import { analysisMessages as msg } from '../messages/analysis.js';
import { reportMessages } from '../messages/report.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

export interface WarmupArgs {
  run: string;
  policy?: string;
  threshold?: number;
  window?: number;
  memorySize?: number;
  batchSize?: number;
  margin?: number;
  memorySizes?: string;
}

export type { WarmupFile };

const DRIFT_VALUES_SHOWN = 12;

export const warmupCommand: CommandModule<object, WarmupArgs> = {
  command: VERBS.warmup.usage,
  describe: VERBS.warmup.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('policy', {
        type: 'string',
        describe: "staleness | plateau | scatter | fixed:N, with parameters, e.g. 'staleness:threshold=0.02,window=3' " +
          "(default: config.json's auto policy, else staleness)",
      })
      .option('threshold', { type: 'number', describe: 'staleness: drift threshold on D(t; S) (default (margin/4)^2)' })
      .option('window', { type: 'number', describe: 'staleness/plateau/scatter: consecutive snapshots required' })
      .option('memory-size', { type: 'number', describe: "M, memory capacity (default config.xbm.size; without a memory, the training split size as in the paper)" })
      .option('batch-size', { type: 'number', describe: 'B, embeddings per iteration (default config.batchSize)' })
      .option('margin', { type: 'number', describe: 'loss margin for the default threshold (default config.loss.margin)' })
      .option('memory-sizes', { type: 'string', describe: 'candidate memory sizes to advise on, e.g. 1000,3000,10000' }) as unknown as Argv<WarmupArgs>,
  handler: async (argv) => {
    await runWarmup(argv, outputOf(argv as { output?: CliOutput }).out);
  },
};

/** The warmup command without yargs: resolve inputs, decide, write warmup.json, print the answer. */
export async function runWarmup(args: WarmupArgs, print: (line: string) => void): Promise<WarmupFile> {
  const run = args.run;
  const paths = runPaths(run);
  const config = readRunConfig(paths.config);

  const lossKind = normaliseLossKind(str(get(config, 'loss', 'kind')) ?? 'contrastive');
  // A run without a memory (a baseline): the paper's memory holds the whole training split.
  const configMemory = positiveInt(get(config, 'xbm', 'size'));
  // run.json is read only when config.json and the flags leave a size open.
  const record = () => readRunRecord(paths.run);
  const trainSplit = args.memorySize === undefined && configMemory === undefined ? positiveInt(record()?.dataset.trainSize) : undefined;
  const memorySize = flagInt('--memory-size', args.memorySize) ?? configMemory ?? trainSplit;
  const batchSize = flagInt('--batch-size', args.batchSize) ?? positiveInt(get(config, 'batchSize')) ?? positiveInt(record()?.batchSize);
  // The loss's own similarity scale (its margin, or multi-similarity's base); NaN for a loss we do not know.
  const configMargin = LOSS_KINDS.includes(lossKind as LossKind) && config?.loss ? similarityScale({ ...config.loss, kind: lossKind } as LossConfig) : NaN;
  const margin = args.margin ?? (typeof configMargin === 'number' ? configMargin : NaN);

  // config.json's auto policy: parsed ({kind, ...}) since the config parses at the edge; a spec text in older runs.
  const auto = config?.xbm?.start?.kind === 'auto' ? (config.xbm.start.policy as WarmupPolicyConfig | string) : undefined;
  const autoPolicy = typeof auto === 'string' ? auto : auto && typeof auto === 'object' ? formatWarmupPolicy(auto) : undefined;
  const policySpec = args.policy ?? autoPolicy ?? 'staleness';
  const cfg = applyFlags(parseWarmupPolicy(policySpec), args);
  const sizes = args.memorySizes === undefined ? null : parseSizes(args.memorySizes);

  const span = memorySize !== undefined && batchSize !== undefined ? memorySpan(memorySize, batchSize) : null;
  if (!existsSync(paths.driftCsv) && cfg.kind !== 'fixed') {
    const gap = cfg.kind === 'plateau' && cfg.gap !== undefined ? cfg.gap : span;
    throw new UserError(msg.missingDriftCsv(paths.driftCsv, run, gap));
  }
  if (memorySize === undefined) throw new UserError(msg.missingContext('--memory-size', 'xbm.size'));
  if (batchSize === undefined) throw new UserError(msg.missingContext('--batch-size', 'batchSize'));

  const { rows, lacking } = existsSync(paths.driftCsv) ? await readDriftRows(paths.driftCsv) : { rows: [], lacking: [] };
  const ctx: WarmupContext = { memorySize, batchSize, margin, lossKind };
  const online = new OnlineWarmup(cfg, ctx);
  const missing = online.reads.filter((c) => lacking.includes(c));
  if (missing.length > 0) throw new UserError(msg.driftLacksColumns(cfg.kind, missing, online.requiredGap(), run));
  assertEvaluable(rows, online, run);
  const decision = decideWarmup(rows, cfg, ctx);

  const adviceThreshold = decision.policy === 'staleness' ? decision.evidence.threshold! : decision.evidence.driftThreshold;
  let memoryAdvice: WarmupFile['memoryAdvice'] = null;
  if (sizes && decision.start !== null) {
    memoryAdvice = { threshold: adviceThreshold, ...adviseMemorySize(rows, decision.start, batchSize, sizes, adviceThreshold) };
  }

  const file: WarmupFile = { schemaVersion: 1, source: 'warmup', run, policySpec, context: ctx, decision, memoryAdvice };
  writeWarmupFile(paths.warmup, file);

  const e = decision.evidence;
  if (trainSplit !== undefined) print(reportMessages.memoryFromTrainSplit(trainSplit, paths.run));
  if (decision.start !== null) print(msg.outStart(decision.start));
  else print(msg.outNotReached(decision.policy, e.shortfall!));
  print(msg.outPolicy(decision.policy, decision.parameters));
  print(msg.outSpan(memorySize, batchSize, e.memorySpan, e.gap, e.gapsUsed));
  print(msg.outThreshold(e.threshold, e.thresholdDerivation));
  if (decision.policy !== 'staleness') print(msg.outDriftThreshold(e.driftThresholdDerivation));
  print(msg.outDrift(e.drift, DRIFT_VALUES_SHOWN));
  print(msg.outReason(decision.reason));
  if (sizes && memoryAdvice) print(msg.outAdvice(memoryAdvice.perSize, memoryAdvice.largestOk, memoryAdvice.threshold));
  else if (sizes) print(msg.adviceNeedsStart);
  print(msg.outWrote(paths.warmup));
  return file;
}

function applyFlags(cfg: WarmupPolicyConfig, args: WarmupArgs): WarmupPolicyConfig {
  let out = cfg;
  if (args.threshold !== undefined) {
    if (out.kind !== 'staleness') throw new UserError(msg.flagNotForPolicy('--threshold', out.kind, 'the staleness drift threshold'));
    out = { ...out, threshold: args.threshold };
  }
  if (args.window !== undefined) {
    if (out.kind === 'fixed') throw new UserError(msg.flagNotForPolicy('--window', out.kind, 'the staleness, plateau and scatter window'));
    out = { ...out, window: args.window };
  }
  return validateWarmupPolicy(out);
}

/**
 * drift.csv rows, and the optional columns its header lacks (a file from before they existed):
 * those read as NaN, so the policies that do not need them are unaffected.
 */
export async function readDriftRows(path: string): Promise<{ rows: DriftRow[]; lacking: (keyof DriftRow)[] }> {
  const rows = await readCsv<DriftRow>(path);
  const header = rows.length > 0 ? rows[0] : null;
  if (header) {
    for (const c of DRIFT_COLUMNS) if (!DRIFT_OPTIONAL_COLUMNS.includes(c) && !(c in header)) throw new UserError(msg.badDriftCsv(path, c));
  }
  const lacking = DRIFT_OPTIONAL_COLUMNS.filter((c) => header !== null && !(c in header));
  return { rows: withOptionalDriftColumns(rows.filter((r) => Number.isFinite(r.iteration) && Number.isFinite(r.gap))), lacking };
}

/** A nested field of an untyped JSON value, or undefined. */
function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
// config.xbm.size 0 means "no memory": then the size must come from the flag.
const positiveInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

function flagInt(flag: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new UserError(msg.badContextFlag(flag, String(v)));
  return v;
}

function parseSizes(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (parts.some((p) => p === '') || sizes.some((m) => !Number.isInteger(m) || m < 1)) throw new UserError(msg.badSizeList(text));
  return sizes;
}
