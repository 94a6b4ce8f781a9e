import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/choices.js';
import { DEFAULTS, TRAIN_CHOICES, TRAIN_HELP, type ModelKind, type NormalizationKind } from '../config/train-config.js';
import { isDatasetSpec, isImageDatasetSpec } from '../data/registry.js';
import { UserError } from '../errors.js';
import { configMessages as C } from '../messages/config.js';
import { dataMessages } from '../messages/data.js';
import { modelMessages as M } from '../messages/model.js';
import type { EmbedderConfig } from '../model/embedder.js';
import type { PretrainConfig } from '../train/pretrain.js';
import { writingIn } from './fs-errors.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

/** Defaults of `pretrain`: the builtin:digits recipe (model/builtin-backbones.ts) but for its iteration count. */
export const PRETRAIN_DEFAULTS = { dataset: 'mnist', iterations: 300, batchSize: 64, lr: 1e-3 } as const;

interface PretrainArgs {
  out?: string; dataset?: string; model?: ModelKind; channels?: string; hidden?: string; iterations?: number; batchSize?: number; lr?: number;
  seed?: number; backend?: BackendChoice; threads?: number; imageSize?: number; normalization?: NormalizationKind; overwrite: boolean; quiet: boolean;
  output?: CliOutput;
}

export const pretrainCommand: CommandModule<object, PretrainArgs> = {
  command: VERBS.pretrain.usage,
  describe: VERBS.pretrain.describe,
  builder: (y) =>
    y.option('out', { type: 'string', describe: 'folder to write model.json + weights.bin into (data/backbones/<name>)' })
      .option('dataset', { type: 'string', describe: `labelled dataset (default ${PRETRAIN_DEFAULTS.dataset}: all 10 digits of the MNIST train file); others train on their train classes` })
      .option('model', { choices: TRAIN_CHOICES.model, describe: `trunk: ${TRAIN_HELP.model} (default ${DEFAULTS.model})` })
      .option('channels', { type: 'string', describe: `CNN channels (default ${DEFAULTS.channels.join(',')})` })
      .option('hidden', { type: 'string', describe: `MLP hidden widths (default ${DEFAULTS.hidden.join(',')})` })
      .option('iterations', { alias: 'iters', type: 'number', describe: `iterations (default ${PRETRAIN_DEFAULTS.iterations})` })
      .option('batch-size', { type: 'number', describe: `batch size (default ${PRETRAIN_DEFAULTS.batchSize})` })
      .option('lr', { type: 'number', describe: `Adam learning rate (default ${PRETRAIN_DEFAULTS.lr})` })
      .option('seed', { type: 'number', describe: `seed of init and batches (default ${DEFAULTS.seed})` })
      .option('backend', { choices: BACKEND_CHOICES, describe: 'tfjs backend' })
      .option('threads', { type: 'number', describe: 'wasm threads' })
      .option('image-size', { type: 'number', describe: 'image datasets: input side (default 224)' })
      .option('normalization', { choices: TRAIN_CHOICES.normalization, describe: `image datasets: ${TRAIN_HELP.normalization}` })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace a backbone already in --out' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .example('$0 pretrain --dataset mnist --out data/backbones/digits', '')
      .example('$0 train --dataset mnist3 --backbone data/backbones/digits --lr 1e-4 --out runs/ft', '') as never,
  handler: async (args) => {
    const config = resolvePretrainConfig(args);
    const { pretrain } = await import('../train/pretrain.js');
    const output = outputOf(args);
    const r = await writingIn(config.out, () => pretrain(config, args.quiet ? undefined : (line) => output.log(line)));
    output.out(M.pretrainDone(resolve(config.out), r.accuracy, r.seconds, r.bytes));
  },
};

/** Flags -> a validated PretrainConfig; touches no disk but for checking --out. */
export function resolvePretrainConfig(a: PretrainArgs): PretrainConfig {
  if (a.out === undefined || a.out === '') throw new UserError(M.pretrainNeedsOut);
  const int = (flag: string, v: number | undefined, d: number) => {
    const x = v ?? d;
    if (!Number.isInteger(x) || x < 1) throw new UserError(C.positiveInteger(flag, x));
    return x;
  };
  const list = (flag: string, text: string | undefined, d: number[]) => {
    if (text === undefined) return d;
    const xs = String(text).split(',').filter((s) => s.trim() !== '').map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UserError(C.intList(flag, String(text)));
    return xs;
  };
  const dataset = a.dataset ?? PRETRAIN_DEFAULTS.dataset;
  if (!isDatasetSpec(dataset)) throw new UserError(dataMessages.unknownDataset(dataset, TRAIN_CHOICES.dataset));
  const kind = a.model ?? DEFAULTS.model;
  const model: EmbedderConfig = kind === 'cnn'
    ? { kind: 'cnn', channels: list('--channels', a.channels, DEFAULTS.channels), dim: 1 }
    : { kind: 'mlp', hidden: list('--hidden', a.hidden, DEFAULTS.hidden), dim: 1 };
  const lr = a.lr ?? PRETRAIN_DEFAULTS.lr;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UserError(C.positiveNumber('--lr', lr));
  const image = isImageDatasetSpec(dataset) && (a.imageSize !== undefined || a.normalization !== undefined)
    ? { ...(a.imageSize !== undefined ? { size: int('--image-size', a.imageSize, 1) } : {}), ...(a.normalization ? { normalization: a.normalization } : {}) }
    : undefined;
  if (!isImageDatasetSpec(dataset)) {
    for (const [flag, v] of [['--image-size', a.imageSize], ['--normalization', a.normalization]] as const) {
      if (v !== undefined) throw new UserError(C.flagNeeds(flag, 'an image dataset', `--dataset ${dataset}`));
    }
  }
  const config: PretrainConfig = {
    dataset,
    out: resolve(a.out),
    model,
    iterations: int('--iterations', a.iterations, PRETRAIN_DEFAULTS.iterations),
    batchSize: int('--batch-size', a.batchSize, PRETRAIN_DEFAULTS.batchSize),
    lr,
    seed: a.seed ?? DEFAULTS.seed,
    backend: a.backend ?? DEFAULTS.backend,
    ...(a.threads !== undefined ? { threads: int('--threads', a.threads, 1) } : {}),
    ...(image ? { image } : {}),
    overwrite: a.overwrite,
    command: '',
  };
  const arch = model.kind === 'cnn' ? `--model cnn --channels ${model.channels.join(',')}` : `--model mlp --hidden ${model.hidden.join(',')}`;
  config.command = `xbm-drift pretrain --dataset ${dataset} ${arch} --iterations ${config.iterations} --batch-size ${config.batchSize} --lr ${lr} --seed ${config.seed}` +
    `${image?.size ? ` --image-size ${image.size}` : ''}${image?.normalization ? ` --normalization ${image.normalization}` : ''} --out ${a.out}`;
  return config;
}
