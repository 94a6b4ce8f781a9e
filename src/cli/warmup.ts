import type { Argv, CommandModule, Options } from 'yargs';
import { decideRunStart, runStartContext } from '../analysis/warmup-run.js';
import { parseWarmupPolicy, validateWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { policyParameters, WARMUP_POLICY_USAGES } from '../analysis/warmup/policies/index.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import type { WarmupPolicyConfig } from '../analysis/warmup/types.js';
import { UserError } from '../errors.js';
import type { WarmupFile } from '../io/formats/warmup-file.js';
import { analysisMessages as msg } from '../messages/analysis.js';
import { consoleOutput, outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

export interface WarmupArgs {
  run: string;
  policy?: string;
  /** a policy parameter given as a flag (--threshold, --window, --relative-change, ...: each parameter a registered policy declares) */
  [parameter: string]: unknown;
  memorySize?: number;
  batchSize?: number;
  margin?: number;
  memorySizes?: string;
}

export type { WarmupFile };

export const warmupCommand: CommandModule<object, WarmupArgs> = {
  command: VERBS.warmup.usage,
  describe: VERBS.warmup.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('policy', {
        type: 'string',
        describe: `${WARMUP_POLICY_USAGES.join(' | ')}, with parameters, e.g. 'staleness:threshold=0.02,window=3' ` +
          `(default: config.json's auto policy, else ${STUDY_CHOICE.policy}, what auto means)`,
      })
      .options(parameterOptions())
      .option('memory-size', { type: 'number', describe: "M, memory capacity (default config.xbm.size; without a memory, the training split size as in the paper)" })
      .option('batch-size', { type: 'number', describe: 'B, embeddings per iteration (default config.batchSize)' })
      .option('margin', { type: 'number', describe: 'loss margin for the default threshold (default config.loss.margin)' })
      .option('memory-sizes', { type: 'string', describe: 'candidate memory sizes to advise on, e.g. 1000,3000,10000' }) as unknown as Argv<WarmupArgs>,
  handler: async (argv) => {
    const io = outputOf(argv as { output?: CliOutput });
    await runWarmup(argv, io.out, io.err);
  },
};

/**
 * The warmup command without yargs: read the flags, then decide from the run's drift (computed
 * first where it lacks the gaps the policy needs; `note` says so), write warmup.json, print the answer.
 */
export async function runWarmup(args: WarmupArgs, print: (line: string) => void, note: (line: string) => void = consoleOutput.err): Promise<WarmupFile> {
  const context = runStartContext(args.run, {
    memorySize: flagInt('--memory-size', args.memorySize),
    batchSize: flagInt('--batch-size', args.batchSize),
    margin: args.margin,
  });
  const policySpec = args.policy ?? context.autoPolicy ?? STUDY_CHOICE.policy;
  const policy = applyFlags(parseWarmupPolicy(policySpec), args);
  const memorySizes = args.memorySizes === undefined ? null : parseSizes(args.memorySizes);
  return decideRunStart(args.run, { policy, policySpec, context, memorySizes, source: 'warmup', print, note });
}

/** A flag for each parameter a registered policy declares (policies/): --window, --relative-change, ... */
function parameterOptions(): Record<string, Options> {
  return Object.fromEntries(policyParameters().map(({ key, policies }) => [
    parameterFlag(key),
    { type: 'number', describe: policies.map((p) => `${p.kind}: ${p.describe}`).join('; ') } satisfies Options,
  ]));
}

/** relativeChange -> relative-change */
const parameterFlag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The policy parameters given as flags, over the spec's; a flag the policy does not declare is refused, naming those that do. */
function applyFlags(cfg: WarmupPolicyConfig, args: WarmupArgs): WarmupPolicyConfig {
  let out: Record<string, unknown> = { ...cfg };
  for (const { key, policies } of policyParameters()) {
    const value = args[key];
    if (value === undefined) continue;
    if (!policies.some((p) => p.kind === cfg.kind)) throw new UserError(msg.flagNotForPolicy(`--${parameterFlag(key)}`, cfg.kind, policies.map((p) => p.kind)));
    out = { ...out, [key]: value };
  }
  return validateWarmupPolicy(out as unknown as WarmupPolicyConfig);
}

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
