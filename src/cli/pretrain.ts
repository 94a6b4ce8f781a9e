import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/choices.js';
import { componentOptions, FLAG_FAMILIES, memberArgs } from '../config/component-flags.js';
import { datasetKind } from '../data/registry.js';
import { positiveFlag, positiveIntFlag } from '../config/flag-checks.js';
import { DEFAULTS, TRAIN_CHOICES, TRAIN_HELP, resolveBackend, resolveBackendFlags, resolveDatasetFlags, resolveDatasetSpec, resolveModel, type ModelKind } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { modelMessages as M } from '../messages/model.js';
import { modelKind } from '../model/kinds/index.js';
import type { PretrainConfig } from '../train/pretrain.js';
import { writingIn } from './fs-errors.js';
import { outputOf, type CliOutput } from './output.js';
import { VERBS } from './verbs.js';

/** Defaults of `pretrain`: the builtin:digits recipe (model/builtin-backbones.ts) but for its iteration count. */
export const PRETRAIN_DEFAULTS = { dataset: 'mnist', iterations: 300, batchSize: 64, lr: 1e-3 } as const;

interface PretrainArgs {
  out?: string; dataset?: string; model?: ModelKind; iterations?: number; batchSize?: number; lr?: number;
  seed?: number; backend?: BackendChoice; overwrite: boolean; quiet: boolean;
  output?: CliOutput;
  /** the model kinds', datasets' and backends' own flags (--channels, --image-size, --threads, ...), declared beside their code */
  [kindFlag: string]: unknown;
}

export const pretrainCommand: CommandModule<object, PretrainArgs> = {
  command: VERBS.pretrain.usage,
  describe: VERBS.pretrain.describe,
  builder: (y) =>
    componentOptions([FLAG_FAMILIES.model, FLAG_FAMILIES.dataset, FLAG_FAMILIES.backend]).reduce((a, { name, option }) => a.option(name, option), y).option('out', { type: 'string', describe: 'folder to write model.json + weights.bin into (data/backbones/<name>)' })
      .option('dataset', { type: 'string', describe: `labelled dataset (default ${PRETRAIN_DEFAULTS.dataset}: all 10 digits of the MNIST train file); others train on their train classes` })
      .option('model', { choices: TRAIN_CHOICES.model, describe: `trunk: ${TRAIN_HELP.model} (default ${DEFAULTS.model})` })
      .option('iterations', { alias: 'iters', type: 'number', describe: `iterations (default ${PRETRAIN_DEFAULTS.iterations})` })
      .option('batch-size', { type: 'number', describe: `batch size (default ${PRETRAIN_DEFAULTS.batchSize})` })
      .option('lr', { type: 'number', describe: `Adam learning rate (default ${PRETRAIN_DEFAULTS.lr})` })
      .option('seed', { type: 'number', describe: `seed of init and batches (default ${DEFAULTS.seed})` })
      .option('backend', { choices: BACKEND_CHOICES, describe: 'tfjs backend (auto reads --threads for when it falls to wasm)' })
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

/** Flags -> a validated PretrainConfig, checked by the train flags' own resolvers (config/); touches no disk but for checking --out. */
export function resolvePretrainConfig(a: PretrainArgs): PretrainConfig {
  if (a.out === undefined || a.out === '') throw new UserError(M.pretrainNeedsOut);
  const dataset = resolveDatasetSpec(a.dataset ?? PRETRAIN_DEFAULTS.dataset);
  // The trunk only: its head's width is the number of classes, so dim is a placeholder.
  const model = resolveModel(a, 1);
  const { image, settings } = resolveDatasetFlags(a, dataset);
  const lr = positiveFlag('--lr', a.lr ?? PRETRAIN_DEFAULTS.lr);
  const backend = resolveBackend(a.backend ?? DEFAULTS.backend);
  const { threads } = resolveBackendFlags(a, backend);
  const config: PretrainConfig = {
    dataset,
    out: resolve(a.out),
    model,
    iterations: positiveIntFlag('--iterations', a.iterations ?? PRETRAIN_DEFAULTS.iterations),
    batchSize: positiveIntFlag('--batch-size', a.batchSize ?? PRETRAIN_DEFAULTS.batchSize),
    lr,
    seed: a.seed ?? DEFAULTS.seed,
    backend,
    ...(threads !== null ? { threads } : {}),
    ...(image ? { image } : {}),
    ...(settings ? { settings } : {}),
    overwrite: a.overwrite,
    command: '',
  };
  // The dataset's own flags, given back from their declarations (data/): --image-size 64, a layout's own.
  const datasetFlags = memberArgs(FLAG_FAMILIES.dataset, { kind: datasetKind(dataset) ?? dataset, ...image, ...settings });
  config.command = `xbm-drift pretrain --dataset ${dataset} ${modelKind(model.kind).args(model)} --iterations ${config.iterations} --batch-size ${config.batchSize} --lr ${lr} --seed ${config.seed}` +
    `${datasetFlags} --out ${a.out}`;
  return config;
}
