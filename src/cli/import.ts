import type { Argv, CommandModule } from 'yargs';
import { importRun } from '../import/import-run.js';
import { importMessages as M } from '../messages/import.js';
import { analyseRun } from '../pipeline/analyse-run.js';
import { driftTable } from './drift.js';
import { outputOf, type CliOutput } from './output.js';
import { reportLines } from './report.js';
import { VERBS } from './verbs.js';

interface ImportArgs {
  folder: string;
  report: boolean;
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
    // The library's analysis of a run folder; printed under the commands that do each step alone.
    const dir = args.folder;
    const a = await analyseRun(dir, { note: io.err });
    io.out('');
    io.out(M.outRunning('drift', dir));
    for (const line of driftTable(a.drift, a.gaps)) io.out(line);
    for (const p of a.written) io.out(M.outWrote(p));
    io.out('');
    io.out(M.outRunning('warmup', dir));
    for (const line of a.warmupLines) io.out(line);
    if (a.warmupSkipped !== null) {
      io.err(`xbm-drift: ${a.warmupSkipped}`);
      io.err(M.warmupSkipped(dir));
    }
    io.out('');
    io.out(M.outRunning('report', dir));
    const { err, out } = reportLines(a.report!.report, a.report!.result);
    for (const line of err) io.err(line);
    for (const line of out) io.out(line);
  },
};
