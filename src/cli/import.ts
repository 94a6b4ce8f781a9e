import type { Argv, CommandModule } from 'yargs';
import { importRun } from '../import/import-run.js';
import { importMessages as M } from '../messages/import.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface ImportArgs {
  folder: string;
  report: boolean;
  output?: CliOutput;
}

/** What `import --report` runs after importing, each with its defaults: the verbs a trainer's run gets. */
const ANALYSIS_VERBS = ['drift', 'warmup', 'report'] as const;

/**
 * `xbm-drift import <folder>`: the numpy files python/xbm_drift_log.py wrote become probe.arrow and
 * snapshots/iter-NNNNNN.arrow, so drift, warmup and report read the folder like a trainer's run.
 * Everything is checked before anything is written (src/import/import-run.ts).
 */
export const importCommand: CommandModule<object, ImportArgs> = {
  command: VERBS.import.usage,
  describe: VERBS.import.describe,
  builder: (y: Argv<object>) =>
    y
      .positional('folder', {
        type: 'string',
        demandOption: true,
        describe: 'the run folder a PyTorch loop wrote with python/xbm_drift_log.py (RunLogger)',
      })
      .option('report', {
        type: 'boolean',
        default: false,
        describe: 'then run drift, warmup and report on the folder, each with its defaults (a warmup that cannot decide is skipped with its reason)',
      })
      .example('$0 import runs/pml-xbm --report', 'PyTorch run -> Arrow snapshots -> drift, start decision, report/index.html') as unknown as Argv<ImportArgs>,
  handler: async (args) => {
    const io = outputOf(args);
    const { plan, written } = importRun(args.folder);
    if (!plan.normalized) io.err(M.notNormalized(plan.offNormRows, plan.worstNormError));
    if (plan.staleArrow.length > 0) io.err(M.staleArrow(plan.staleArrow));
    const its = plan.snapshots.map((s) => s.iteration);
    io.out(M.outImported(its.length, its[0], its[its.length - 1], plan.sampleIds.length, plan.dim));
    for (const p of written) io.out(M.outWrote(p));
    if (!args.report) {
      io.out(M.outNext(args.folder));
      return;
    }
    // Through the CLI itself, so each verb parses, prints and fails exactly as when typed.
    const { main } = await import('./main.js');
    for (const verb of ANALYSIS_VERBS) {
      io.out('');
      io.out(M.outRunning(verb, args.folder));
      const code = await main([verb, args.folder]);
      if (code === 0) continue;
      if (verb === 'warmup') {
        io.err(M.warmupSkipped(args.folder));
        continue;
      }
      process.exitCode = code;
      return;
    }
  },
};
