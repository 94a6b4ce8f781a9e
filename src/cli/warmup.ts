import type { Argv, CommandModule } from 'yargs';
import { decideRunStart, runStartContext } from '../analysis/warmup-run.js';
import { parseWarmupPolicy, validateWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { DEFAULT_WARMUP_POLICY, WARMUP_POLICY_USAGES } from '../analysis/warmup/policies/index.js';
import type { WarmupPolicyConfig } from '../analysis/warmup/types.js';
import { UserError } from '../errors.js';
import type { WarmupFile } from '../io/formats/warmup-file.js';
import { analysisMessages as msg } from '../messages/analysis.js';
import { consoleOutput, outputOf, type CliOutput } from './output.js';
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

export const warmupCommand: CommandModule<object, WarmupArgs> = {
  command: VERBS.warmup.usage,
  describe: VERBS.warmup.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('policy', {
        type: 'string',
        describe: `${WARMUP_POLICY_USAGES.join(' | ')}, with parameters, e.g. 'staleness:threshold=0.02,window=3' ` +
          `(default: config.json's auto policy, else ${DEFAULT_WARMUP_POLICY})`,
      })
      .option('threshold', { type: 'number', describe: 'staleness: drift threshold on D(t; S) (default (margin/4)^2)' })
      .option('window', { type: 'number', describe: 'staleness/plateau/scatter: consecutive snapshots required' })
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
  const policySpec = args.policy ?? context.autoPolicy ?? 'staleness';
  const policy = applyFlags(parseWarmupPolicy(policySpec), args);
  const memorySizes = args.memorySizes === undefined ? null : parseSizes(args.memorySizes);
  return decideRunStart(args.run, { policy, policySpec, context, memorySizes, source: 'warmup', print, note });
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
