import type { Argv, CommandModule } from 'yargs';
import { DEFAULTS, resolveTrainConfig, type TrainFlags } from '../config/train-config.js';
import { formatRunSummary } from './format.js';
import type { TrainConfig } from '../config/train-config.js';
import { VERBS } from './verbs.js';

/** The train flags, shared with `sweep` and `demo` so every verb spells them the same way. */
export function trainOptions<T>(y: Argv<T>) {
  return y
    .option('out', { type: 'string', describe: 'run folder to write (runs/<name>)' })
    .option('resume', { type: 'string', describe: 'continue this interrupted run from its last checkpoint' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'replace a run already in --out' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .group(['dataset', 'data-seed', 'images-per-class', 'sampler', 'batch-size', 'classes-per-batch', 'per-class'], 'Data:')
    .option('dataset', { type: 'string', describe: `mnist | mnist2 | mnist3 | idx:<folder> (default ${DEFAULTS.dataset})` })
    .option('data-seed', { type: 'number', describe: 'seed of the dataset build and class split' })
    .option('images-per-class', { type: 'number', describe: 'images per class (generated for mnist2/3, a cap otherwise)' })
    .option('sampler', { choices: ['pk', 'shuffle'] as const, describe: 'P x K class-balanced batches or a plain shuffle (default pk)' })
    .option('batch-size', { type: 'number', describe: `batch size (default ${DEFAULTS.classesPerBatch * DEFAULTS.perClass} = P x K)` })
    .option('classes-per-batch', { type: 'number', describe: `P: classes in a batch (default ${DEFAULTS.classesPerBatch})` })
    .option('per-class', { type: 'number', describe: `K: images of each class in a batch (default ${DEFAULTS.perClass})` })
    .group(['model', 'channels', 'hidden', 'dim', 'loss', 'margin', 'mining'], 'Model and loss:')
    .option('model', { choices: ['cnn', 'mlp'] as const, describe: 'embedder (default cnn)' })
    .option('channels', { type: 'string', describe: `CNN channels (default ${DEFAULTS.channels.join(',')})` })
    .option('hidden', { type: 'string', describe: `MLP hidden widths (default ${DEFAULTS.hidden.join(',')})` })
    .option('dim', { type: 'number', describe: `embedding width (default ${DEFAULTS.dim})` })
    .option('loss', { choices: ['contrastive', 'triplet', 'multi-similarity'] as const, describe: 'pair loss (default contrastive)' })
    .option('margin', { type: 'number', describe: 'loss margin (contrastive 0.5, triplet 0.1)' })
    .option('mining', { choices: ['all', 'semi-hard', 'hard'] as const, describe: 'triplet mining (default all)' })
    .group(['iterations', 'optimizer', 'lr', 'momentum', 'schedule', 'lr-step', 'lr-gamma', 'seed', 'backend', 'threads'], 'Optimisation:')
    .option('iterations', { alias: 'iters', type: 'number', describe: `training iterations (default ${DEFAULTS.iterations})` })
    .option('optimizer', { choices: ['adam', 'sgd'] as const, describe: 'adam or sgd with momentum (default adam)' })
    .option('lr', { type: 'number', describe: `learning rate (default ${DEFAULTS.lr})` })
    .option('momentum', { type: 'number', describe: 'sgd momentum (default 0.9)' })
    .option('schedule', { choices: ['constant', 'step', 'cosine'] as const, describe: 'learning-rate schedule (default constant)' })
    .option('lr-step', { type: 'number', describe: 'step schedule: multiply the lr by --lr-gamma every N iterations' })
    .option('lr-gamma', { type: 'number', describe: 'step schedule factor (default 0.1)' })
    .option('seed', { type: 'number', describe: `seed of model init, sampler and probe (default ${DEFAULTS.seed})` })
    .option('backend', { choices: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const, describe: 'tfjs backend (auto: node-gpu, node, wasm, cpu)' })
    .option('threads', { type: 'number', describe: 'wasm threads (default: the machine\'s cores)' })
    .group(['xbm-size', 'xbm-start', 'xbm-weight', 'xbm-init', 'xbm-guard'], 'Cross-batch memory:')
    .option('xbm-size', { type: 'number', describe: 'memory size M (0: no XBM)' })
    .option('xbm-start', { type: 'string', describe: 'N | off | auto[:policy] (default auto when a memory is given)' })
    .option('xbm-weight', { type: 'number', describe: 'weight w of the memory loss (default 1)' })
    .option('xbm-init', { choices: ['empty', 'random'] as const, describe: 'fill the memory at the start from random training images (random) or not (empty)' })
    .option('xbm-guard', { type: 'boolean', describe: 'pause the memory loss while the memory is too stale' })
    .group(['eval-every', 'ks', 'nmi', 'snapshot-every', 'snapshot-offsets', 'probe-size', 'log-batches', 'staleness-every', 'checkpoint-every'], 'Instrumentation:')
    .option('eval-every', { type: 'number', describe: `evaluate on the test classes every N iterations (default ${DEFAULTS.evalEvery}; 0: at the end)` })
    .option('ks', { type: 'string', describe: 'Recall@K list (default 1,2,4,8)' })
    .option('nmi', { type: 'boolean', describe: 'compute NMI at each evaluation (default true)' })
    .option('snapshot-every', { type: 'number', describe: `probe snapshot every N iterations (default ${DEFAULTS.snapshotEvery}; 0: none)` })
    .option('snapshot-offsets', { type: 'string', describe: `extra snapshots this many iterations before each (default ${DEFAULTS.snapshotOffsets.join(',')}), for small gaps` })
    .option('probe-size', { type: 'number', describe: `probe images embedded at each snapshot (default ${DEFAULTS.probeSize})` })
    .option('log-batches', { type: 'boolean', describe: 'also write the embeddings each step computed (batches/*.arrow)' })
    .option('staleness-every', { type: 'number', describe: 'measure the memory\'s true staleness every N iterations (0: never)' })
    .option('checkpoint-every', { type: 'number', describe: `checkpoint every N iterations (default ${DEFAULTS.checkpointEvery})` });
}

type TrainArgs = TrainFlags & { resume?: string; overwrite: boolean; quiet: boolean; out?: string };

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: VERBS.train.usage,
  describe: VERBS.train.describe,
  builder: (y) =>
    trainOptions(y)
      .check((a) => {
        if (!a.out && !a.resume) throw new Error('Give --out <folder> for a new run, or --resume <run>.');
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

async function runTrain(config: TrainConfig, args: TrainArgs, resume: boolean, train: typeof import('../train/trainer.js').train): Promise<void> {
  const record = await withInterrupt((signal) => train(config, { resume, overwrite: args.overwrite, quiet: args.quiet, signal }));
  process.stdout.write(formatRunSummary(config.out, record) + '\n');
  if (record.status === 'interrupted') process.exitCode = 130;
}

/** Ctrl-C once: finish the iteration, flush, checkpoint. Twice: stop at once. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nInterrupt: finishing this iteration and saving (Ctrl-C again to stop at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
