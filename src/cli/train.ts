import type { Argv, CommandModule } from 'yargs';
import { DEFAULTS, TRAIN_CHOICES, TRAIN_HELP, resolveTrainConfig, type TrainFlags } from '../config/train-config.js';
import type { TrainConfig } from '../config/train-config.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { UserError } from '../errors.js';
import { cliMessages } from '../messages/cli.js';
import { SMART_MINING_DEFAULTS } from '../mining/smart-config.js';
import { componentOptions } from '../config/component-flags.js';
import { MICRO_BATCH_FLAG } from '../config/micro-batch.js';
import { formatRunSummary } from './format.js';
import { writingIn } from './fs-errors.js';
import { INTERRUPTED_EXIT_CODE, withInterrupt } from './interrupt.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

/** The train flags, shared with `sweep` and `demo` so every verb spells them the same way. */
export function trainOptions<T>(y: Argv<T>) {
  return withComponentOptions(y
    .option('out', { type: 'string', describe: 'run folder to write (runs/<name>)' })
    .option('resume', { type: 'string', describe: 'continue this interrupted run from its last checkpoint' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'replace a run already in --out' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .group(['dataset', 'data-seed', 'images-per-class', 'sampler', 'batch-size', 'classes-per-batch', 'per-class', MICRO_BATCH_FLAG.name], 'Data:')
    .option('dataset', { type: 'string', describe: `${TRAIN_HELP.dataset} (default ${DEFAULTS.dataset})` })
    .option('data-seed', { type: 'number', describe: 'seed of the dataset build and class split' })
    .option('images-per-class', { type: 'number', describe: 'images per class (generated for mnist2/3, a cap otherwise)' })
    .option('sampler', { choices: TRAIN_CHOICES.sampler, describe: `${TRAIN_HELP.sampler} (default ${DEFAULTS.sampler})` })
    .option('batch-size', { type: 'number', describe: `batch size (default ${DEFAULTS.classesPerBatch * DEFAULTS.perClass} = P x K)` })
    .option('classes-per-batch', { type: 'number', describe: `P: classes in a batch (default ${DEFAULTS.classesPerBatch})` })
    .option('per-class', { type: 'number', describe: `K: images of each class in a batch (default ${DEFAULTS.perClass})` })
    .option(MICRO_BATCH_FLAG.name, { type: MICRO_BATCH_FLAG.type, describe: MICRO_BATCH_FLAG.describe })
    .group(['model', 'dim', 'loss', 'reducer'], 'Model and loss:')
    .option('model', { choices: TRAIN_CHOICES.model, describe: `embedder: ${TRAIN_HELP.model} (default ${DEFAULTS.model})` })
    .option('dim', { type: 'number', describe: `embedding width (default ${DEFAULTS.dim})` })
    .option('loss', { choices: TRAIN_CHOICES.loss, describe: `pair loss (default ${DEFAULTS.loss})` })
    .option('reducer', { choices: TRAIN_CHOICES.reducer, describe: `how the loss terms are reduced: ${TRAIN_HELP.reducer}` })
    .group(['backbone', 'backbone-lr-mult', 'freeze-backbone'], 'Backbone and images:')
    .option('backbone', { type: 'string', describe: `pretrained trunk under a head (pool, linear to --dim, L2 norm): ${TRAIN_HELP.backbone}` })
    .option('backbone-lr-mult', { type: 'number', describe: `the backbone's learning rate is --lr x this (default ${DEFAULTS.backboneLrMult}); BatchNorm always uses its inference statistics` })
    .option('freeze-backbone', { type: 'boolean', describe: 'train only the head (a GraphModel backbone is always frozen)' })
    .group(['iterations', 'optimizer', 'lr', 'momentum', 'schedule', 'lr-step', 'lr-gamma', 'seed', 'backend'], 'Optimisation:')
    .option('iterations', { alias: 'iters', type: 'number', describe: `training iterations (default ${DEFAULTS.iterations})` })
    .option('optimizer', { choices: TRAIN_CHOICES.optimizer, describe: `${TRAIN_HELP.optimizer} (default ${DEFAULTS.optimizer})` })
    .option('lr', { type: 'number', describe: `learning rate (default ${DEFAULTS.lr})` })
    .option('momentum', { type: 'number', describe: `sgd momentum, only with --optimizer sgd (default ${DEFAULTS.momentum})` })
    .option('schedule', { choices: TRAIN_CHOICES.schedule, describe: `learning-rate schedule: ${TRAIN_HELP.schedule} (default ${DEFAULTS.schedule})` })
    .option('lr-step', { type: 'number', describe: 'with --schedule step: multiply the lr by --lr-gamma every N iterations (default half the iterations)' })
    .option('lr-gamma', { type: 'number', describe: `with --schedule step: the factor (default ${DEFAULTS.lrGamma})` })
    .option('seed', { type: 'number', describe: `seed of model init, sampler and probe (default ${DEFAULTS.seed})` })
    .option('backend', { choices: TRAIN_CHOICES.backend, describe: `tfjs backend (auto tries ${TRAIN_CHOICES.backend.filter((b) => b !== 'auto').join(', ')} in order, and reads --threads for when it falls to wasm)` })
    .group(['xbm-size', 'xbm-start', 'xbm-weight', 'xbm-init', 'xbm-guard', 'xbm-adapt', 'parity'], 'Cross-batch memory:')
    .option('xbm-size', { type: 'number', describe: 'memory size M (0: no XBM)' })
    .option('xbm-start', { type: 'string', describe: `N | off | auto[:policy], policy one of ${TRAIN_HELP.warmupPolicy} (default auto = auto:${STUDY_CHOICE.policy} when a memory is given)` })
    .option('xbm-weight', { type: 'number', describe: `weight w of the memory loss (default ${DEFAULTS.xbmWeight})` })
    .option('xbm-init', { choices: TRAIN_CHOICES.xbmInit, describe: `${TRAIN_HELP.xbmInit} (default ${DEFAULTS.xbmInit})` })
    .option('xbm-guard', { type: 'boolean', describe: 'pause the memory loss while the memory is too stale' })
    .option('xbm-adapt', { choices: TRAIN_CHOICES.xbmAdapt, describe: `memory compensation for drift: ${TRAIN_HELP.xbmAdapt} (${TRAIN_HELP.xbmAdaptDefault})` })
    .option('parity', { choices: TRAIN_CHOICES.parity, describe: `follow a reference implementation's definitions (reducer, self-pairs, loss values, how XBM combines terms, warm-up): ${TRAIN_HELP.parity}` })
    .group(['batch-mining', 'index-refresh', 'index', 'smart-negatives', 'smart-neighbours', 'smart-controller'], 'Smart mining (Harwood et al. 2017):')
    .option('batch-mining', { choices: TRAIN_CHOICES.batchMining, describe: `how batches are built: ${TRAIN_HELP.batchMining} (default none)` })
    .option('index-refresh', { type: 'number', describe: `smart: embed the training split and rebuild the index every N iterations (default ${SMART_MINING_DEFAULTS.refresh})` })
    .option('index', { choices: TRAIN_CHOICES.index, describe: `smart: ${TRAIN_HELP.index} (default ${SMART_MINING_DEFAULTS.index})` })
    .option('smart-negatives', { type: 'number', describe: `smart: negatives mined per anchor (default ${SMART_MINING_DEFAULTS.negatives})` })
    .option('smart-neighbours', { type: 'number', describe: `smart: neighbourhood size k searched per anchor, where the controller starts (default ${SMART_MINING_DEFAULTS.neighbours})` })
    .option('smart-controller', { type: 'boolean', describe: 'smart: the adaptive controller moves k from the fraction of active pairs (default true; --no-smart-controller keeps k fixed)' })
    .group(['eval-every', 'ks', 'nmi', 'snapshot-every', 'snapshot-offsets', 'probe-size', 'log-batches', 'staleness-every', 'checkpoint-every'], 'Instrumentation:')
    .option('eval-every', { type: 'number', describe: `evaluate on the test classes every N iterations (default ${DEFAULTS.evalEvery}; 0: at the end)` })
    .option('ks', { type: 'string', describe: `Recall@K list (default ${DEFAULTS.ks.join(',')})` })
    .option('nmi', { type: 'boolean', describe: 'compute NMI at each evaluation (default true)' })
    .option('snapshot-every', { type: 'number', describe: `probe snapshot every N iterations (default ${DEFAULTS.snapshotEvery}; 0: none)` })
    .option('snapshot-offsets', { type: 'string', describe: `extra snapshots this many iterations before each (default ${DEFAULTS.snapshotOffsets.join(',')}), for small gaps` })
    .option('probe-size', { type: 'number', describe: `probe images embedded at each snapshot (default ${DEFAULTS.probeSize})` })
    .option('log-batches', { type: 'boolean', describe: 'also write the embeddings each step computed (batches/*.arrow)' })
    .option('staleness-every', { type: 'number', describe: 'measure the memory\'s true staleness every N iterations (0: never)' })
    .option('checkpoint-every', { type: 'number', describe: `checkpoint every N iterations (default ${DEFAULTS.checkpointEvery})` }));
}

/** The flags the components declare beside their code (a model kind's, a loss's, a strategy's, a dataset's, a backend's: config/component-flags.ts), each in its group. */
function withComponentOptions<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const { name, group, option } of componentOptions()) out = out.option(name, option).group([name], group);
  return out;
}

type TrainArgs = TrainFlags & { resume?: string; overwrite: boolean; quiet: boolean; out?: string; output?: CliOutput };

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: VERBS.train.usage,
  describe: VERBS.train.describe,
  builder: (y) =>
    trainOptions(y)
      .check((a, options) => {
        checkTrainArgs(a, options as unknown as DeclaredOptions);
        return true;
      })
      .example('$0 train --dataset mnist2 --xbm-size 3000 --xbm-start 500 --out runs/first', '')
      .example('$0 train --resume runs/first', '') as unknown as Argv<TrainArgs>,
  handler: async (args) => {
    const resume = Boolean(args.resume);
    // Validate the flags before loading the trainer (and tfjs): bad input answers at once.
    const config: TrainConfig | null = resume ? null : resolveTrainConfig({ ...args, out: args.out! });
    const { loadRunConfig, train } = await import('../train/trainer.js');
    return runTrain(config ?? loadRunConfig(args.resume!), args, resume, train);
  },
};

/** What yargs tells a check about the declared options (its `getOptions()`). */
interface DeclaredOptions { key: Record<string, unknown>; alias: Record<string, string[]>; default: Record<string, unknown> }

/** Flags that mean something with --resume; every other train flag would be silently ignored. */
const RESUME_FLAGS = new Set(['resume', 'quiet', 'help']);

/** Before anything loads: a new run needs --out, and a resumed run takes no training flags. */
export function checkTrainArgs(a: Record<string, unknown> & { out?: string; resume?: string }, options: DeclaredOptions): void {
  if (a.resume === '') throw new UserError(cliMessages.flagNeedsValue('resume', 'the run folder to continue'));
  if (a.out === '') throw new UserError(cliMessages.flagNeedsValue('out', 'the folder of the new run (runs/<name>)'));
  if (a.resume === undefined) {
    if (a.out === undefined) throw new UserError(cliMessages.trainNeedsOut);
    return;
  }
  const aliases = new Set(Object.values(options.alias).flat());
  const ignored = Object.keys(options.key)
    .filter((k) => !RESUME_FLAGS.has(k) && !aliases.has(k) && a[k] !== undefined && a[k] !== options.default[k]);
  if (ignored.length > 0) throw new UserError(cliMessages.resumeIgnoresFlags(ignored, a.resume));
}

async function runTrain(config: TrainConfig, args: TrainArgs, resume: boolean, train: typeof import('../train/trainer.js').train): Promise<void> {
  const output = outputOf(args);
  const record = await writingIn(config.out, () =>
    withInterrupt((signal) => train(config, { resume, overwrite: args.overwrite, quiet: args.quiet, signal }), { output }));
  output.out(formatRunSummary(config.out, record));
  if (record.status === 'interrupted') process.exitCode = INTERRUPTED_EXIT_CODE;
}
