import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/choices.js';
import { UserError } from '../errors.js';
import { evalMessages } from '../messages/eval.js';
import { f4 } from '../number-format.js';
import { evaluateRun, type RunEvaluation } from '../train/evaluate-run.js';
import { runPaths } from '../io/run-paths.js';
import { writingIn } from './fs-errors.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface EvalArgs { run: string; backend?: BackendChoice; ks?: string; output?: CliOutput }

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: VERBS.eval.usage,
  describe: VERBS.eval.describe,
  builder: (y) =>
    y.positional('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('backend', { choices: BACKEND_CHOICES, describe: 'tfjs backend (default: the run\'s)' })
      .option('ks', { type: 'string', describe: 'Recall@K list (default: the run\'s)' }) as never,
  handler: async (args) => {
    const ks = args.ks === undefined ? undefined : parseKs(args.ks);
    const result = await writingIn(runPaths(args.run).analysis, () => evaluateRun(args.run, { backend: args.backend, ks }));
    const output = outputOf(args);
    for (const line of formatEvaluation(result)) output.out(line);
  },
};

/** "1,2,4,8" into ks; a UserError names the flag on anything else. */
export function parseKs(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new UserError(evalMessages.badKs(text));
  return parts.map(Number);
}

export function formatEvaluation(r: RunEvaluation): string[] {
  const row = r.row as unknown as Record<string, number>;
  return [
    `${r.runDir} @ iteration ${r.checkpoint.iteration} (${r.testImages} test images, ${r.testClasses} classes)`,
    ...r.ks.map((k) => `  R@${k}   ${f4(row[`recall_at_${k}`])}`),
    `  MAP@R ${f4(r.row.map_at_r)}`,
    `  NMI   ${f4(r.row.nmi)}`,
    ...(r.written ? [`written ${r.written}`] : []),
  ];
}
