import type { Argv, CommandModule } from 'yargs';
import { importRun } from '../import/import-run.js';
import { importMessages as M } from '../messages/import.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

interface ImportArgs {
  folder: string;
  output?: CliOutput;
}

/**
 * `xbm-drift import <folder>`: the numpy files python/xbm_drift_log.py wrote become probe.arrow and
 * snapshots/iter-NNNNNN.arrow, so drift, warmup and report read the folder like a trainer's run.
 * Everything is checked before anything is written (src/import/import-run.ts).
 */
export const importCommand: CommandModule<object, ImportArgs> = {
  command: VERBS.import.usage,
  describe: VERBS.import.describe,
  builder: (y: Argv<object>) =>
    y.positional('folder', {
      type: 'string',
      demandOption: true,
      describe: 'the run folder a PyTorch loop wrote with python/xbm_drift_log.py (RunLogger)',
    }) as unknown as Argv<ImportArgs>,
  handler: (args) => {
    const io = outputOf(args);
    const { plan, written } = importRun(args.folder);
    if (!plan.normalized) io.err(M.notNormalized(plan.offNormRows, plan.worstNormError));
    if (plan.staleArrow.length > 0) io.err(M.staleArrow(plan.staleArrow));
    const its = plan.snapshots.map((s) => s.iteration);
    io.out(M.outImported(its.length, its[0], its[its.length - 1], plan.sampleIds.length, plan.dim));
    for (const p of written) io.out(M.outWrote(p));
    io.out(M.outNext(args.folder));
  },
};
