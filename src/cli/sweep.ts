import yargs, { type Argv, type CommandModule } from 'yargs';
import { resolveTrainConfig, type TrainFlags } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { sweepPaths } from '../io/formats/sweep-file.js';
import { reportMessages } from '../messages/report.js';
import { parseGrid } from '../sweep/grid.js';
import { trainPointRunner, type PointRunner } from '../sweep/point-runner.js';
import { runSweep, type SweepResult, type TrainArgsCheck } from '../sweep/run-sweep.js';
import type { CliIo } from './report.js';
import { trainOptions } from './train.js';
import { VERBS } from './verbs.js';

export interface SweepArgs {
  grid: string[];
  out: string;
  iters?: number;
  jobs: number;
  /** train flags after `--` */
  '--'?: (string | number)[];
}

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** A parser of the train verb's flags, as strict as `xbm-drift train` itself. */
function trainParser(args: readonly string[]) {
  return trainOptions(yargs([...args]).exitProcess(false).help(false).version(false).strict()).fail((msg, err) => {
    throw err ?? new Error(msg);
  });
}

/**
 * The train verb's own checks for a sweep point: its yargs options (unknown flags, bad choices),
 * then resolveTrainConfig (ranges, combinations). Nothing is written or loaded.
 */
export const trainArgsCheck: TrainArgsCheck = {
  isTrainFlag(name) {
    const keys = (trainParser([]) as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
    return name in keys;
  },
  check(args) {
    const a = trainParser(args).parseSync() as unknown as TrainFlags;
    resolveTrainConfig({ ...a, out: String(a.out) });
  },
};

/** The sweep verb without yargs; the point runner is injectable (tests use a fake trainer). */
export async function sweepMain(a: SweepArgs, deps: { runPoint?: PointRunner; io?: CliIo; trainArgs?: TrainArgsCheck } = {}): Promise<SweepResult> {
  const io = deps.io ?? stdio;
  const grid = parseGrid(a.grid ?? []);
  if (a.iters !== undefined && (!Number.isInteger(a.iters) || a.iters < 1)) throw new UserError(reportMessages.badIters(a.iters));
  const result = await runSweep(
    { out: a.out, grid, iterations: a.iters, trainFlags: (a['--'] ?? []).map(String), jobs: a.jobs },
    { runPoint: deps.runPoint ?? trainPointRunner(), trainArgs: deps.trainArgs ?? trainArgsCheck, log: io.out },
  );
  const n = result.sweep.points.length;
  io.out(
    `sweep: ${sweepPaths(a.out).csv} (${n} points: ${result.ran.length - result.failed.length} trained, ${result.skipped.length} done earlier, ${result.failed.length} failed)`,
  );
  if (result.failed.length > 0) {
    io.err(reportMessages.sweepFailures(result.failed.length, n));
    process.exitCode = 1;
  }
  return result;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: VERBS.sweep.usage,
  describe: VERBS.sweep.describe,
  builder: (y: Argv<object>) =>
    y
      .parserConfiguration({ 'populate--': true })
      .option('grid', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'key=v1,v2,... (batch -> --batch-size, memory -> --xbm-size, xbm=off|on -> --xbm-start off|as given, other keys -> --<key>)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'sweep folder: sweep.json, sweep.csv, logs/, one run folder per point' })
      .option('iters', { alias: 'iterations', type: 'number', describe: 'iterations of every point (train --iterations)' })
      .option('jobs', { type: 'number', default: 1, describe: 'points trained at the same time' })
      .example('$0 sweep --grid batch=16,32,64,128 --grid xbm=off,on --iters 1000 --out sweeps/batch -- --xbm-size 3000', 'the paper\'s Figure 1 (left)')
      .epilogue('Flags after -- go to every `train`. Rerun the same command to resume: completed points are skipped.') as unknown as Argv<SweepArgs>,
  handler: async (argv) => {
    await sweepMain(argv);
  },
};
