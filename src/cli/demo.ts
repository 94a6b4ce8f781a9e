import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { folderKind } from '../io/folder-kind.js';
import { demoMessages } from '../messages/demo.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/choices.js';
import { DemoInterrupted, runDemo, type DemoResult } from '../demo/demo.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { writingIn } from './fs-errors.js';
import { INTERRUPTED_EXIT_CODE, withInterrupt } from './interrupt.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface DemoArgs {
  out: string; quick: boolean; policy: string; overwrite: boolean; quiet: boolean;
  backend?: BackendChoice; dataset?: string; seed?: number; threads?: number;
  output?: CliOutput;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: VERBS.demo.usage,
  describe: VERBS.demo.describe,
  builder: (y) =>
    y.option('out', { type: 'string', default: 'runs/demo', describe: 'folder for the two runs, the report and summary.md' })
      .option('quick', { type: 'boolean', default: false, describe: 'a smaller budget (about 2 minutes on 2 cores)' })
      .option('policy', { type: 'string', default: STUDY_CHOICE.policy, describe: 'warm-up policy deciding the XBM start (default: the one the XBM study supports, docs/studies.md "XBM study")' })
      .option('overwrite', { type: 'boolean', default: true, describe: 'replace an earlier demo in --out' })
      .option('quiet', { type: 'boolean', default: false })
      .option('dataset', { type: 'string', describe: 'dataset (default: the embedded default)' })
      .option('backend', { choices: BACKEND_CHOICES })
      .option('threads', { type: 'number' })
      .option('seed', { type: 'number' }) as never,
  handler: async (args) => {
    checkDemoInputs(args);
    const output = outputOf(args);
    let r: DemoResult;
    try {
      r = await writingIn(args.out, () => withInterrupt((signal) => runDemo({
        out: args.out, quick: args.quick, policy: args.policy, overwrite: args.overwrite, quiet: args.quiet, signal, log: output.log,
        flags: { dataset: args.dataset, backend: args.backend, seed: args.seed, threads: args.threads },
      }), { output }));
    } catch (e) {
      if (!(e instanceof DemoInterrupted)) throw e;
      output.err(e.message);
      process.exitCode = INTERRUPTED_EXIT_CODE;
      return;
    }
    output.out('');
    for (const line of r.summary.trimEnd().split('\n')) output.out(line);
  },
};

/** What the demo writes into --out: an earlier demo holds these only, and a rerun replaces them. */
const DEMO_ENTRIES = ['baseline', 'xbm', 'report', 'summary.md'];

/**
 * --out, checked before anything trains (runDemo checks the policy): it must be new, empty or an
 * earlier demo's, which the demo replaces; a run, a sweep or a folder of other files is never written into.
 */
export function checkDemoInputs(a: Pick<DemoArgs, 'out' | 'overwrite'>): void {
  if (!existsSync(a.out)) return;
  if (!statSync(a.out).isDirectory()) throw new UserError(demoMessages.outIsFile(a.out));
  const kind = folderKind(a.out);
  if (kind === 'run' || kind === 'sweep') throw new UserError(demoMessages.outIsRun(a.out, kind));
  const entries = readdirSync(a.out).sort();
  const foreign = entries.find((e) => !DEMO_ENTRIES.includes(e) || (e !== 'summary.md' && !statSync(join(a.out, e)).isDirectory()));
  if (foreign !== undefined) throw new UserError(demoMessages.outForeign(a.out, foreign));
  if (entries.length > 0 && !a.overwrite) throw new UserError(demoMessages.outHoldsDemo(a.out));
}
