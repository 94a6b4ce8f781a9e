import { UserError } from '../errors.js';
import { readRunConfig } from '../io/formats/run-config.js';
import { readRunRecord } from '../io/formats/run-record.js';
import { writeWarmupFile, type WarmupFile } from '../io/formats/warmup-file.js';
import { runPaths } from '../io/run-paths.js';
import { LOSS_KINDS, similarityScale, type LossConfig, type LossKind } from '../losses/registry.js';
import { analysisMessages as msg } from '../messages/analysis.js';
import { reportMessages } from '../messages/report.js';
import { driftWithGaps } from './drift-on-demand.js';
import { adviseMemorySize } from './warmup/memory-advice.js';
import { assertEvaluable, decideWarmup } from './warmup/decide.js';
import { OnlineWarmup } from './warmup/online.js';
import { formatWarmupPolicy } from './warmup/parse-policy.js';
import { memorySpan, normaliseLossKind } from './warmup/threshold.js';
import type { WarmupContext, WarmupPolicyConfig } from './warmup/types.js';

const DRIFT_VALUES_SHOWN = 12;

/** What a run folder says about its start decision's context, before any flag; sizes undefined when unknown. */
export interface RunStartContext {
  memorySize: number | undefined;
  batchSize: number | undefined;
  margin: number;
  lossKind: string;
  /** config.json's auto policy as a spec, when it has one. */
  autoPolicy: string | undefined;
  /** The training split's size, when it stood in for the memory size (a run without a memory). */
  trainSplit: number | undefined;
}

/**
 * The start decision's context from a run's config.json (and run.json when those leave a size
 * open), each value overridden where `given` has one. A run without a memory (a baseline) gets
 * the paper's memory: the whole training split.
 */
export function runStartContext(run: string, given: { memorySize?: number; batchSize?: number; margin?: number } = {}): RunStartContext {
  const paths = runPaths(run);
  const config = readRunConfig(paths.config);
  const lossKind = normaliseLossKind(config?.loss?.kind ?? 'contrastive');
  // config.xbm.size 0 means "no memory": then the size comes from the flag or the training split.
  const configMemory = positiveInt(config?.xbm?.size);
  const record = () => readRunRecord(paths.run);
  const trainSplit = given.memorySize === undefined && configMemory === undefined ? positiveInt(record()?.dataset.trainSize) : undefined;
  // The loss's own similarity scale (its margin, or multi-similarity's base); NaN for a loss we do not know.
  const configMargin = LOSS_KINDS.includes(lossKind as LossKind) && config?.loss ? similarityScale({ ...config.loss, kind: lossKind } as LossConfig) : NaN;
  // config.json's auto policy: parsed ({kind, ...}) since the config parses at the edge; a spec text in older runs.
  const start = config?.xbm?.start;
  const auto = start?.kind === 'auto' ? start.policy : undefined;
  return {
    memorySize: given.memorySize ?? configMemory ?? trainSplit,
    batchSize: given.batchSize ?? positiveInt(config?.batchSize) ?? positiveInt(record()?.batchSize),
    margin: given.margin ?? (typeof configMargin === 'number' ? configMargin : NaN),
    lossKind,
    autoPolicy: typeof auto === 'string' ? auto : auto && typeof auto === 'object' ? formatWarmupPolicy(auto as WarmupPolicyConfig) : undefined,
    trainSplit,
  };
}

export interface RunStartOptions {
  /** The policy, parsed (with any flags applied), and its spec as given. */
  policy: WarmupPolicyConfig;
  policySpec: string;
  context: RunStartContext;
  /** `--memory-sizes`: candidate memory sizes to advise on; null for none. */
  memorySizes: number[] | null;
  source: WarmupFile['source'];
  /** The answer, line by line (stdout in the CLI). */
  print: (line: string) => void;
  /** What is done on the way, such as computing missing drift (stderr in the CLI). */
  note: (line: string) => void;
}

/**
 * Decide when XBM should start from a run's drift and write analysis/warmup.json: the drift the
 * policy (and the memory-size advice) needs is computed first where the run's drift table lacks
 * it. What `xbm-drift warmup <run>` does after reading its flags.
 */
export async function decideRunStart(run: string, o: RunStartOptions): Promise<WarmupFile> {
  const paths = runPaths(run);
  const { memorySize, batchSize, margin, lossKind, trainSplit } = o.context;
  if (memorySize === undefined) throw new UserError(msg.missingContext('--memory-size', 'xbm.size'));
  if (batchSize === undefined) throw new UserError(msg.missingContext('--batch-size', 'batchSize'));
  const ctx: WarmupContext = { memorySize, batchSize, margin, lossKind };
  const online = new OnlineWarmup(o.policy, ctx);
  const needed = online.readsDrift ? [online.requiredGap(), ...(o.memorySizes ?? []).map((m) => memorySpan(m, batchSize))] : [];
  const table = await driftWithGaps(run, needed, o.note);
  const { rows, lacking } = table ?? { rows: [], lacking: [] };
  const missing = online.reads.filter((c) => lacking.includes(c));
  if (missing.length > 0) throw new UserError(msg.driftLacksColumns(o.policy.kind, missing, online.requiredGap(), run));
  assertEvaluable(rows, online, run);
  const decision = decideWarmup(rows, o.policy, ctx);

  const adviceThreshold = decision.policy === 'staleness' ? decision.evidence.threshold! : decision.evidence.driftThreshold;
  const sizes = o.memorySizes;
  const memoryAdvice: WarmupFile['memoryAdvice'] =
    sizes && decision.start !== null ? { threshold: adviceThreshold, ...adviseMemorySize(rows, decision.start, batchSize, sizes, adviceThreshold) } : null;
  const file: WarmupFile = { schemaVersion: 1, source: o.source, run, policySpec: o.policySpec, context: ctx, decision, memoryAdvice };
  writeWarmupFile(paths.warmup, file);

  const e = decision.evidence;
  const print = o.print;
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

const positiveInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
