import { basename, resolve } from 'node:path';
import { parseWarmupPolicy, validateWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { WARMUP_POLICY_USAGES, warmupPolicy, type WarmupPolicyConfig } from '../analysis/warmup/policies/index.js';
import { memorySpan as spanOf } from '../analysis/warmup/threshold.js';
import { BACKENDS, BACKEND_CHOICES, BACKEND_UNSET, type BackendChoice, type BackendSettings } from '../backend/choices.js';
import { DATASET_MEMBERS, DATASET_NAMES, datasetKind, isDatasetSpec } from '../data/registry.js';
import type { NormalizationKind } from '../data/image-dataset.js';
import type { DatasetSettings } from '../data/types.js';
import { intListFlag, nonNegativeIntFlag, positiveFlag, positiveIntFlag } from './flag-checks.js';
import { snapshotIterations } from './snapshot-schedule.js';
import type { SamplerConfig } from '../data/samplers.js';
import { LOSSES, LOSS_DEFAULTS, LOSS_KINDS, lossDefinition, type LossConfig } from '../losses/registry.js';
import { REDUCERS, REDUCER_KINDS, type ReducerKind } from '../losses/reducers/registry.js';
import { TRIPLET_MINING, type TripletMining } from '../losses/triplet.js';
import type { BackboneConfig, EmbedderConfig } from '../model/embedder.js';
import { BUILTIN_NAMES, isBuiltinBackbone } from '../model/builtin-backbones.js';
import { modelMessages } from '../messages/model.js';
import { miningMessages } from '../messages/mining.js';
import { BATCH_MINING, SMART_MINING_DEFAULTS, type BatchMiningKind, type SmartMiningConfig } from '../mining/smart-config.js';
import { INDEX_KINDS, checkIndexAvailable, type IndexKind } from '../mining/neighbour-index.js';
import { UserError } from '../errors.js';
import { ADAPT_KINDS, ADAPT_STRATEGIES, type AdaptStrategy, type XbmAdaptConfig } from '../memory/adapt/index.js';
import { flagKey, type FlagSpec, type FlagValues, type GivenFlags, type TakeDefault } from '../flag-spec.js';
import { XBM_COMBINES, parityLossFields, type ParityMode, type XbmCombine } from '../memory/parity/parity.js';
import { PARITY_KINDS, PARITY_MODES, parityMode, type ParityKind } from '../memory/parity/registry.js';
import { dataMessages } from '../messages/data.js';
import { configMessages as M } from '../messages/config.js';
import type { DefaultApplied } from '../io/formats/run-record.js';
import type { RunConfigFile } from '../io/formats/run-config.js';
import type { XbmStart as XbmStartOf } from '../io/formats/start-decision.js';
import { AppliedDefaults } from './applied-defaults.js';
import { FLAG_FAMILIES, familyFlags, memberTake, refuseUnreadFlags, type ComponentFlags } from './component-flags.js';
import { MODEL_KIND_NAMES, modelKind, type ModelKindName } from '../model/kinds/index.js';
import { CNN_CHANNELS } from '../model/kinds/cnn.js';
import { MLP_HIDDEN } from '../model/kinds/mlp.js';
import { STUDY_CHOICE } from './study-choice.js';
import { MICRO_BATCH_FLAG, resolveMicroBatch } from './micro-batch.js';

/**
 * The kinds the train flags choose among, each with a one-line description. Keyed by the owning
 * module's type (satisfies), so a kind added there and not here, or misspelt here, fails to compile.
 */
const SAMPLERS = { pk: 'P x K class-balanced batches', shuffle: 'a plain shuffle' } as const satisfies Record<SamplerConfig['kind'], string>;
const OPTIMIZERS = { adam: 'Adam', sgd: 'SGD with momentum' } as const;
const SCHEDULES = { constant: 'constant', step: 'multiply by --lr-gamma every --lr-step iterations', cosine: 'cosine decay to 0' } as const;
const XBM_INITS = { empty: 'start empty', random: 'fill from random training images at the start' } as const;
const keys = <T extends object>(o: T) => Object.keys(o) as (keyof T & string)[];

export type SamplerKind = keyof typeof SAMPLERS;
export type ModelKind = ModelKindName;
export type OptimizerKind = keyof typeof OPTIMIZERS;
export type ScheduleKind = keyof typeof SCHEDULES;
export type XbmInit = keyof typeof XBM_INITS;
export type { NormalizationKind };

/**
 * Every list of choices a train flag has, from the registries that own them (losses/registry.ts,
 * losses/triplet.ts, backend/choices.ts, data/registry.ts, analysis/warmup/policies/index.ts) or
 * from the tables above (a component's own flags: config/component-flags.ts). The CLI's `choices:` and the messages below read these; never retype one.
 */
export const TRAIN_CHOICES = {
  dataset: DATASET_NAMES,
  sampler: keys(SAMPLERS),
  model: MODEL_KIND_NAMES,
  loss: LOSS_KINDS,
  mining: TRIPLET_MINING,
  reducer: REDUCER_KINDS,
  optimizer: keys(OPTIMIZERS),
  schedule: keys(SCHEDULES),
  backend: BACKEND_CHOICES,
  xbmInit: keys(XBM_INITS),
  xbmAdapt: ADAPT_KINDS,
  builtinBackbone: BUILTIN_NAMES,
  warmupPolicy: WARMUP_POLICY_USAGES,
  batchMining: keys(BATCH_MINING),
  index: keys(INDEX_KINDS),
  parity: PARITY_KINDS,
} as const;

const describe = (o: Readonly<Record<string, string>>) => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join('; ');

/** Help texts built from the same tables (the CLI's describe:), so they cannot fall out of date. */
export const TRAIN_HELP = {
  dataset: TRAIN_CHOICES.dataset.join(' | '),
  sampler: describe(SAMPLERS),
  model: MODEL_KIND_NAMES.map((k) => `${k}: ${modelKind(k).describe}`).join('; '),
  optimizer: describe(OPTIMIZERS),
  schedule: describe(SCHEDULES),
  xbmInit: describe(XBM_INITS),
  xbmAdapt: ADAPT_STRATEGIES.map((a) => `${a.kind}: ${a.describe}`).join('; '),
  backbone: `a TensorFlow.js model.json (LayersModel: fine-tuned; GraphModel: frozen) or its folder, or ${BUILTIN_NAMES.join(', ')}`,
  reducer: `${REDUCERS.map((r) => `${r.kind}: ${r.describe}`).join('; ')}. Default: ${STUDY_CHOICE.reducer} (the XBM study: ${STUDY_CHOICE.source.reducer.replace(/^.*?: /, '')}); --reducer sum-per-query for the paper's`,
  xbmAdaptDefault: `default with a memory: ${STUDY_CHOICE.adapt} (the XBM study's best configuration); none under --parity`,
  warmupPolicy: TRAIN_CHOICES.warmupPolicy.join(', '),
  batchMining: describe(BATCH_MINING),
  index: describe(INDEX_KINDS),
  parity: PARITY_MODES.map((p) => `${p.kind}: ${p.describe}`).join('; '),
} as const;

/** Everything needed to rerun a training run; written as config.json. */
export interface TrainConfig extends RunConfigFile, BackendSettings {
  name: string;
  out: string;
  /**
   * image: image datasets only (the digit datasets refuse it), passed to the dataset as
   * DatasetOptions.image; settings: a dataset layout's own flags (DatasetFactory.fromFlags)
   */
  dataset: { spec: string; dataSeed: number; imagesPerClass?: number } & DatasetSettings;
  sampler: SamplerConfig;
  batchSize: number;
  /** --micro-batch (config/micro-batch.ts): the step embeds and back-propagates this many samples at a time; absent: the whole batch */
  microBatch?: number;
  model: EmbedderConfig;
  /** a pretrained trunk under the head (model/backbone.ts); absent: the built-in `model` from scratch. `model.dim` is the head's width. */
  backbone?: BackboneConfig;
  loss: LossSettings;
  optimizer: { kind: OptimizerKind; lr: number; momentum: number };
  schedule: { kind: 'constant' } | { kind: 'step'; every: number; gamma: number } | { kind: 'cosine'; minLr: number };
  iterations: number;
  xbm: {
    size: number; // 0: no memory
    weight: number;
    start: XbmStart;
    init: XbmInit; // 'random': fill from random training images at the start (the paper's recipe)
    guard: boolean;
    /** memory compensation (--xbm-adapt, memory/adapt); config.json from before it has none: read through normaliseTrainConfig */
    adapt: XbmAdaptConfig;
    /** how the batch and memory terms combine (set by --parity); absent: 'batch-plus-memory' */
    combine?: XbmCombine;
  };
  /** --parity: the reference implementation whose definitions the loss and XBM follow (memory/parity); absent: ours */
  parity?: ParityKind;
  eval: { every: number; ks: number[]; nmi: boolean };
  snapshots: { every: number; offsets: number[]; probeSize: number; logBatches: boolean; stalenessEvery: number };
  checkpointEvery: number;
  seed: number;
  backend: BackendChoice;
  /** Smart Mining (--batch-mining smart); absent: batches come from the sampler */
  smartMining?: SmartMiningConfig;
  /** every default applied to a flag not given, and where it came from (also in run.json); absent in configs from before 0.2.0 */
  defaultsApplied?: DefaultApplied[];
}

/** The loss as configured: the losses module's own config type, so the two cannot drift apart. */
export type LossSettings = LossConfig;

/**
 * When XBM starts. 'auto' carries the parsed, validated policy (analysis/warmup/policies), so a bad
 * policy is refused before anything touches the disk. config.json from before this holds the
 * policy as text: read config.json through normaliseTrainConfig.
 */
export type XbmStart = XbmStartOf<WarmupPolicyConfig>;

/**
 * The defaults, in one place. Why these: docs/training.md "Defaults, and why". The loss defaults live with each loss
 * (losses/*.ts, read through losses/registry.ts); these fields refer to them.
 */
export const DEFAULTS = {
  dataset: 'mnist2',
  dataSeed: 0,
  classesPerBatch: 16,
  perClass: 4,
  sampler: 'pk' as SamplerKind,
  model: 'cnn' as ModelKind,
  channels: [...CNN_CHANNELS],
  hidden: [...MLP_HIDDEN],
  dim: 64,
  loss: 'contrastive' as LossConfig['kind'],
  margin: { contrastive: LOSS_DEFAULTS.contrastive.margin, triplet: LOSS_DEFAULTS.triplet.margin },
  mining: LOSS_DEFAULTS.triplet.mining,
  ms: (({ kind: _kind, ...params }) => params)(LOSS_DEFAULTS['multi-similarity']),
  optimizer: 'adam' as OptimizerKind,
  lr: 1e-3,
  momentum: 0.9,
  schedule: 'constant' as ScheduleKind,
  lrGamma: 0.1,
  iterations: 1000,
  xbmSize: 0,
  xbmWeight: 1,
  xbmInit: 'empty' as XbmInit,
  evalEvery: 200,
  ks: [1, 2, 4, 8],
  snapshotEvery: 50,
  snapshotOffsets: [10],
  probeSize: 512,
  stalenessEvery: 0,
  checkpointEvery: 200,
  seed: 1,
  backend: 'auto' as BackendChoice,
  backboneLrMult: 1,
};

/**
 * Size limits, from one principle: every tensor whose size the flags decide must fit in
 * MAX_TENSOR_BYTES = 1 GiB, a quarter of the 4 GiB that a wasm32 heap can address at all (the
 * wasm backend holds every tensor in that one heap, next to the model, Adam's two moment copies,
 * the batch and tfjs's scratch; the cpu backend's typed arrays hit V8's limits in the same range).
 * The tensors: the embedding head [width in, dim], a batch's similarities [B, B + M], the memory
 * [M, dim] and a probe snapshot [probe size, dim], all float32.
 */
export const MAX_TENSOR_BYTES = 2 ** 30;
const FLOAT32_BYTES = 4;
/**
 * The most iterations a run may have: snapshot and checkpoint files hold the iteration in six
 * digits (io/run-paths.ts, train/checkpoint.ts) and readers list them in name order
 * (io/snapshot-reader.ts), so a seventh digit would sort iteration 1,000,000 before 200,000.
 */
export const MAX_ITERATIONS = 999_999;

/** The largest n such that an [n, width] float32 tensor fits. */
const maxRows = (width: number) => Math.floor(MAX_TENSOR_BYTES / FLOAT32_BYTES / width);

/**
 * Train flags as the CLI (or a library caller) gives them; undefined means "default". The flags a
 * component declares (a model kind's --channels, a loss's --margin, a strategy's --xbm-momentum)
 * come from those declarations (ComponentFlags, config/component-flags.ts).
 */
export interface TrainFlags extends ComponentFlags, FlagValues<typeof MICRO_BATCH_FLAG> {
  out: string;
  dataset?: string;
  dataSeed?: number;
  imagesPerClass?: number;
  sampler?: SamplerKind;
  batchSize?: number;
  classesPerBatch?: number;
  perClass?: number;
  model?: ModelKind;
  dim?: number;
  backbone?: string;
  backboneLrMult?: number;
  freezeBackbone?: boolean;
  loss?: LossSettings['kind'];
  reducer?: ReducerKind;
  optimizer?: OptimizerKind;
  lr?: number;
  momentum?: number;
  schedule?: ScheduleKind;
  lrStep?: number;
  lrGamma?: number;
  iterations?: number;
  xbmSize?: number;
  xbmWeight?: number;
  xbmStart?: string;
  xbmInit?: XbmInit;
  xbmGuard?: boolean;
  xbmAdapt?: string;
  evalEvery?: number;
  ks?: string;
  nmi?: boolean;
  snapshotEvery?: number;
  snapshotOffsets?: string;
  probeSize?: number;
  logBatches?: boolean;
  stalenessEvery?: number;
  checkpointEvery?: number;
  seed?: number;
  backend?: BackendChoice;
  batchMining?: BatchMiningKind;
  indexRefresh?: number;
  index?: IndexKind;
  smartNegatives?: number;
  smartNeighbours?: number;
  smartController?: boolean;
  parity?: string;
}

/** Flags -> a validated TrainConfig. Throws UserError naming the flag and the fix. Touches no disk. */
export function resolveTrainConfig(f: TrainFlags): TrainConfig {
  // The flags by key, for the components that read their own (config/component-flags.ts).
  const given = f as unknown as GivenFlags;
  const applied = new AppliedDefaults();
  const take = applied.take.bind(applied);
  const pick = <T extends string>(flag: string, v: string | undefined, known: readonly T[], dflt: T, source?: string): T =>
    choice(flag, take(flag, v, dflt, source), known, dflt);
  const positiveInt = (flag: string, v: number | undefined, dflt: number) => positiveIntFlag(flag, take(flag, v, dflt));
  const nonNegativeInt = (flag: string, v: number | undefined, dflt: number) => nonNegativeIntFlag(flag, take(flag, v, dflt));
  const positive = (flag: string, v: number | undefined, dflt: number) => positiveFlag(flag, take(flag, v, dflt));
  const intList = (flag: string, text: string | undefined, dflt: number[]) => (text === undefined ? take(flag, undefined, dflt) : intListFlag(flag, text));
  const backend = resolveBackend(take('--backend', f.backend, DEFAULTS.backend));
  const datasetSpec = resolveDatasetSpec(take('--dataset', f.dataset, DEFAULTS.dataset));

  // Batch: P x K for the PK sampler; --batch-size alone picks P = batch / K.
  const samplerKind = pick('--sampler', f.sampler, TRAIN_CHOICES.sampler, DEFAULTS.sampler);
  let sampler: TrainConfig['sampler'];
  if (samplerKind === 'pk') {
    const perClass = positiveInt('--per-class', f.perClass, DEFAULTS.perClass);
    let classesPerBatch = positiveInt('--classes-per-batch', f.classesPerBatch, DEFAULTS.classesPerBatch);
    if (f.batchSize !== undefined) {
      const b = positiveInt('--batch-size', f.batchSize, 1);
      if (b % perClass !== 0) throw new UserError(M.batchNotDivisible(b, perClass));
      if (f.classesPerBatch !== undefined && f.classesPerBatch * perClass !== b) {
        throw new UserError(M.batchMismatch(b, f.classesPerBatch, perClass));
      }
      classesPerBatch = b / perClass;
    }
    sampler = { kind: 'pk', classesPerBatch, perClass };
  } else {
    // P and K shape a P x K batch only: a shuffle would record them yet ignore them.
    for (const [flag, v] of [['--per-class', f.perClass], ['--classes-per-batch', f.classesPerBatch]] as const) {
      if (v !== undefined) throw new UserError(M.flagNeeds(flag, '--sampler pk', '--sampler shuffle'));
    }
    sampler = { kind: 'shuffle', batchSize: positiveInt('--batch-size', f.batchSize, DEFAULTS.classesPerBatch * DEFAULTS.perClass) };
  }
  const batchSize = sampler.kind === 'pk' ? sampler.classesPerBatch * sampler.perClass : sampler.batchSize;
  const microBatch = resolveMicroBatch(f.microBatch, batchSize);

  const dim = positiveInt('--dim', f.dim, DEFAULTS.dim);
  const backbone = resolveBackbone(f, take);
  // Under a backbone the built-in model is not built (its flags were refused): its defaults are not "applied".
  const modelDefaults = backbone ? new AppliedDefaults() : applied;
  const model = resolveModel(f, dim, modelDefaults);
  const datasetSettings = resolveDatasetFlags(given, datasetSpec, applied);
  const backendSettings = resolveBackendFlags(given, backend, applied);

  const iterations = positiveInt('--iterations', f.iterations, DEFAULTS.iterations);
  if (iterations > MAX_ITERATIONS) throw new UserError(M.tooManyIterations(iterations, MAX_ITERATIONS));
  const imagesPerClass = f.imagesPerClass === undefined ? undefined : positiveIntFlag('--images-per-class', f.imagesPerClass);
  if (imagesPerClass !== undefined) {
    // Recall@K needs a second image of the query's class in the test split; a P x K batch needs K images of a class.
    if (imagesPerClass < 2) throw new UserError(M.tooFewImagesPerClass(imagesPerClass));
    if (sampler.kind === 'pk' && sampler.perClass > imagesPerClass) throw new UserError(M.perClassOverImages(sampler.perClass, imagesPerClass));
  }

  const smartMining = resolveSmartMining(f, batchSize, iterations, positiveInt, take);

  // The loss: its own file says which flags it reads, its defaults and its checks (losses/registry.ts).
  const lossDef = lossDefinition(pick('--loss', f.loss, TRAIN_CHOICES.loss, DEFAULTS.loss));
  refuseUnreadFlags(FLAG_FAMILIES.loss, lossDef.kind, given);
  // --parity sets every behaviour in which the reference implementations differ (memory/parity).
  const parity = f.parity === undefined ? null : parityMode(choice('--parity', f.parity, TRAIN_CHOICES.parity, PARITY_KINDS[0]));
  if (parity && f.reducer !== undefined) throw new UserError(M.parityConflict('--reducer', parity.kind, `it sets the reducer to ${parity.reducer}`));
  // --reducer: always recorded, since a loss config without one means the loss's reference reducer
  // (lossDef.defaultReducer: how every config.json from before 0.2.0 was run). Not given: the XBM
  // study's choice; under --parity the parity mode sets it.
  const reducer = parity ? undefined : pick('--reducer', f.reducer, TRAIN_CHOICES.reducer, STUDY_CHOICE.reducer, STUDY_CHOICE.source.reducer);
  const loss = {
    ...lossDef.fromFlags(given, memberTake(applied, FLAG_FAMILIES.loss, lossDef.kind)),
    ...(reducer === undefined ? {} : { reducer }),
    ...(parity ? parityLossFields(parity, lossDef.kind) : {}),
  } as LossConfig;
  lossDef.validate(loss);

  const optimizerKind = pick('--optimizer', f.optimizer, TRAIN_CHOICES.optimizer, DEFAULTS.optimizer);
  if (f.momentum !== undefined && optimizerKind !== 'sgd') throw new UserError(M.flagNeeds('--momentum', '--optimizer sgd', `--optimizer ${optimizerKind}`));
  const scheduleKind = pick('--schedule', f.schedule, TRAIN_CHOICES.schedule, DEFAULTS.schedule);
  if (scheduleKind !== 'step') {
    if (f.lrStep !== undefined) throw new UserError(M.flagNeeds('--lr-step', '--schedule step', `--schedule ${scheduleKind}`));
    if (f.lrGamma !== undefined) throw new UserError(M.flagNeeds('--lr-gamma', '--schedule step', `--schedule ${scheduleKind}`));
  }
  const schedule: TrainConfig['schedule'] = scheduleKind === 'constant'
    ? { kind: 'constant' }
    : scheduleKind === 'step'
      ? { kind: 'step', every: positiveInt('--lr-step', f.lrStep, Math.max(1, Math.floor(iterations / 2))), gamma: positive('--lr-gamma', f.lrGamma, DEFAULTS.lrGamma) }
      : { kind: 'cosine', minLr: 0 };

  const xbmSize = nonNegativeInt('--xbm-size', f.xbmSize, DEFAULTS.xbmSize);
  if (xbmSize > 0 && xbmSize < batchSize) throw new UserError(M.memoryTooSmall(xbmSize, batchSize));
  const start = parityStart(parity, f.xbmStart, xbmSize);
  if (xbmSize > 0 && f.xbmStart === undefined && parity?.fixedStart === undefined) take('--xbm-start', undefined, 'auto', `auto = auto:${STUDY_CHOICE.policy}, the policy the XBM study supports (src/config/study-choice.ts)`);
  if (parity && !parity.memoryWeight && f.xbmWeight !== undefined) throw new UserError(M.parityConflict('--xbm-weight', parity.kind, 'it computes one loss of the batch against the memory, without a weight'));
  const fixedStart = start.kind === 'at' ? start.iteration : start.kind === 'auto' ? warmupPolicy(start.policy.kind).startAt?.(start.policy) : undefined;
  if (fixedStart !== undefined && fixedStart >= iterations) throw new UserError(M.startAfterEnd(String(f.xbmStart), fixedStart, iterations));
  if (xbmSize === 0) {
    // Memory settings without a memory would be recorded in config.json yet do nothing.
    const strategyFlags = familyFlags(FLAG_FAMILIES.xbmAdapt).map(({ spec }) => [`--${spec.name}`, (f as unknown as GivenFlags)[flagKey(spec.name)]] as const);
    for (const [flag, given] of [['--xbm-weight', f.xbmWeight], ['--xbm-init', f.xbmInit], ['--xbm-guard', f.xbmGuard], ['--xbm-adapt', f.xbmAdapt], ...strategyFlags] as const) {
      if (given !== undefined) throw new UserError(M.flagNeeds(flag, '--xbm-size M (a memory)', '--xbm-size 0'));
    }
  }
  // Memory settings are applied (and recorded) only with a memory.
  const memoryDefaults = xbmSize > 0 ? applied : new AppliedDefaults();
  const xbmInit = choice('--xbm-init', memoryDefaults.take('--xbm-init', f.xbmInit, DEFAULTS.xbmInit), TRAIN_CHOICES.xbmInit, DEFAULTS.xbmInit);
  const adapt = resolveAdapt(f, xbmSize, parity, memoryDefaults);
  const xbmWeight = parity && !parity.memoryWeight ? DEFAULTS.xbmWeight : memoryDefaults.take('--xbm-weight', f.xbmWeight, DEFAULTS.xbmWeight);
  if (!(xbmWeight >= 0) || !Number.isFinite(xbmWeight)) throw new UserError(M.nonNegativeNumber('--xbm-weight', xbmWeight));

  const snapshotEvery = nonNegativeInt('--snapshot-every', f.snapshotEvery, DEFAULTS.snapshotEvery);
  const offsets = intList('--snapshot-offsets', f.snapshotOffsets, DEFAULTS.snapshotOffsets).filter((g) => g < snapshotEvery);
  if (start.kind === 'auto' && snapshotEvery === 0) throw new UserError(M.autoNeedsSnapshots);
  if (start.kind === 'auto') checkPolicyFits(start.policy, String(f.xbmStart ?? 'auto'), snapshotIterations(snapshotEvery, offsets, iterations).length);
  const probeSize = positiveInt('--probe-size', f.probeSize, DEFAULTS.probeSize);
  const evalEvery = nonNegativeInt('--eval-every', f.evalEvery, DEFAULTS.evalEvery);
  const ks = intList('--ks', f.ks, DEFAULTS.ks);
  const stalenessEvery = nonNegativeInt('--staleness-every', f.stalenessEvery, DEFAULTS.stalenessEvery);
  // True staleness is measured on the memory's entries: without a memory there is nothing to measure.
  if (stalenessEvery > 0 && xbmSize === 0) throw new UserError(M.flagNeeds('--staleness-every', '--xbm-size M (a memory)', '--xbm-size 0'));
  const checkpointEvery = nonNegativeInt('--checkpoint-every', f.checkpointEvery, DEFAULTS.checkpointEvery);
  const seed = nonNegativeInt('--seed', f.seed, DEFAULTS.seed);
  const dataSeed = nonNegativeInt('--data-seed', f.dataSeed, DEFAULTS.dataSeed);
  const lr = positive('--lr', f.lr, DEFAULTS.lr);
  const momentum = optimizerKind === 'sgd' ? take('--momentum', f.momentum, DEFAULTS.momentum) : DEFAULTS.momentum;
  // SGD's heavy ball diverges for a momentum of 1 or more (each step's velocity never decays).
  if (!(momentum >= 0 && momentum < 1)) throw new UserError(M.sgdMomentumRange(momentum));

  // Sizes (see MAX_TENSOR_BYTES): refuse here, not with a crash deep inside the backend.
  const headIn = modelKind(model.kind).featureWidth(model, null);
  if (!backbone && dim > maxRows(headIn)) throw new UserError(M.tensorTooLarge('--dim', dim, 'the embedding head', [headIn, dim], maxRows(headIn)));
  const maxBatch = Math.floor(Math.sqrt(MAX_TENSOR_BYTES / FLOAT32_BYTES));
  if (batchSize > maxBatch) throw new UserError(M.tensorTooLarge('--batch-size', batchSize, "a batch's similarities", [batchSize, batchSize], maxBatch));
  const maxMemory = Math.min(maxRows(dim), maxRows(batchSize) - batchSize);
  if (xbmSize > maxMemory) {
    const [what, shape] = xbmSize > maxRows(dim) ? ['the memory', [xbmSize, dim]] as const : ["a batch's similarities", [batchSize, batchSize + xbmSize]] as const;
    throw new UserError(M.tensorTooLarge('--xbm-size', xbmSize, what, shape, maxMemory));
  }
  if (probeSize > maxRows(dim)) throw new UserError(M.tensorTooLarge('--probe-size', probeSize, 'a probe snapshot', [probeSize, dim], maxRows(dim)));

  const out = resolve(f.out);
  return {
    name: basename(out),
    out,
    dataset: { spec: datasetSpec, dataSeed, ...(imagesPerClass !== undefined ? { imagesPerClass } : {}), ...datasetSettings },
    sampler,
    batchSize,
    ...(microBatch !== undefined ? { microBatch } : {}),
    model,
    ...(backbone ? { backbone } : {}),
    loss,
    optimizer: { kind: optimizerKind, lr, momentum },
    schedule,
    iterations,
    xbm: { size: xbmSize, weight: xbmWeight, start, init: xbmInit, guard: memoryDefaults.take('--xbm-guard', f.xbmGuard, false), adapt, ...(parity && parity.combine !== 'batch-plus-memory' ? { combine: parity.combine } : {}) },
    ...(parity ? { parity: parity.kind } : {}),
    eval: { every: evalEvery, ks, nmi: take('--nmi', f.nmi, true) },
    snapshots: {
      every: snapshotEvery,
      offsets,
      probeSize,
      logBatches: take('--log-batches', f.logBatches, false),
      stalenessEvery,
    },
    checkpointEvery,
    seed,
    backend,
    ...backendSettings,
    ...(smartMining ? { smartMining } : {}),
    defaultsApplied: applied.list,
  };
}

/** --backend among the backends (backend/choices.ts). */
export function resolveBackend(backend: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) throw new UserError(M.unknownBackend(String(backend), BACKEND_CHOICES));
  return backend as BackendChoice;
}

/** --dataset: a registered kind of dataset (data/registry.ts), checked before any disk access. */
export function resolveDatasetSpec(spec: string): string {
  if (!isDatasetSpec(spec)) throw new UserError(dataMessages.unknownDataset(spec, TRAIN_CHOICES.dataset));
  return spec;
}

/**
 * --model and the chosen kind's own flags (model/kinds/): another kind's flag is refused, the
 * defaults applied are recorded in `applied`. `dim` is the embedding width.
 */
export function resolveModel(f: Pick<TrainFlags, 'model'>, dim: number, applied: AppliedDefaults = new AppliedDefaults()): EmbedderConfig {
  const given = f as unknown as GivenFlags;
  const name = choice('--model', applied.take('--model', f.model, DEFAULTS.model), TRAIN_CHOICES.model, DEFAULTS.model);
  refuseUnreadFlags(FLAG_FAMILIES.model, name, given);
  return modelKind(name).fromFlags(given, dim, memberTake(applied, FLAG_FAMILIES.model, name));
}

/** A flag's (or config field's) value among `known`, `dflt` when it was not given; else one-line refusal. */
function choice<T extends string>(flag: string, v: string | undefined, known: readonly T[], dflt: T): T {
  const x = v ?? dflt;
  if (!(known as readonly string[]).includes(x)) throw new UserError(M.unknownChoice(flag, String(x), known));
  return x as T;
}

/**
 * --xbm-adapt and --xbm-momentum (memory/adapt); the memory itself was checked by the caller. Not
 * given: the XBM study's choice, or under --parity the reference implementation's (plain XBM).
 */
function resolveAdapt(f: TrainFlags, memorySize: number, parity: ParityMode | null, applied: AppliedDefaults): XbmAdaptConfig {
  const dflt = memorySize === 0 ? 'none' : parity ? parity.adapt : STUDY_CHOICE.adapt;
  const source = parity ? `--parity ${parity.kind}: the reference implementation has no memory compensation` : STUDY_CHOICE.source.adapt;
  const kind = choice('--xbm-adapt', applied.take('--xbm-adapt', f.xbmAdapt, dflt, source), TRAIN_CHOICES.xbmAdapt, dflt);
  refuseUnreadFlags(FLAG_FAMILIES.xbmAdapt, kind, f as unknown as GivenFlags);
  const strategy = ADAPT_STRATEGIES.find((s) => s.kind === kind) as AdaptStrategy<XbmAdaptConfig, FlagSpec>;
  return strategy.fromFlags?.(f as unknown as GivenFlags, memberTake(applied, FLAG_FAMILIES.xbmAdapt, kind)) ?? ({ kind } as XbmAdaptConfig);
}

/**
 * --batch-mining smart and its flags (mining/smart-config.ts). Without it they would be recorded
 * yet do nothing: refused. --index hnsw is refused here when hnswlib-node is missing.
 */
function resolveSmartMining(
  f: TrainFlags,
  batchSize: number,
  iterations: number,
  positiveInt: (flag: string, v: number | undefined, dflt: number) => number,
  take: AppliedDefaults['take'],
): SmartMiningConfig | undefined {
  if ((f.mining as string | undefined) === 'smart') throw new UserError(miningMessages.miningSmartIsBatchMining);
  const kind = choice('--batch-mining', f.batchMining, TRAIN_CHOICES.batchMining, 'none');
  const given = [['--index-refresh', f.indexRefresh], ['--index', f.index], ['--smart-negatives', f.smartNegatives], ['--smart-neighbours', f.smartNeighbours], ['--smart-controller', f.smartController]] as const;
  if (kind !== 'smart') {
    for (const [flag, v] of given) if (v !== undefined) throw new UserError(miningMessages.needsSmartMining(flag));
    return undefined;
  }
  const d = SMART_MINING_DEFAULTS;
  const index = choice('--index', take('--index', f.index, d.index), TRAIN_CHOICES.index, d.index);
  const negatives = positiveInt('--smart-negatives', f.smartNegatives, d.negatives);
  if (negatives + 2 > batchSize) throw new UserError(miningMessages.tooFewNegativesRoom(negatives, batchSize));
  const neighbours = positiveInt('--smart-neighbours', f.smartNeighbours, Math.max(d.neighbours, negatives + 2));
  if (neighbours < negatives + 2) throw new UserError(miningMessages.neighboursTooSmall(neighbours, negatives));
  const refresh = positiveInt('--index-refresh', f.indexRefresh, d.refresh);
  // The first index is built at iteration `refresh` (mining/smart-mining.ts refreshDue); batches come from the sampler until then.
  if (refresh >= iterations) throw new UserError(M.firstRefreshAfterEnd(refresh, iterations));
  checkIndexAvailable(index);
  return { refresh, index, negatives, neighbours, controller: take('--smart-controller', f.smartController, d.controller) };
}

/**
 * --backbone and its flags. A path is made absolute (config.json must name the same file from any
 * working directory); whether it is a model is checked when the trainer loads it, before the run
 * folder is created. The built-in model flags would be ignored under a backbone: refused.
 */
function resolveBackbone(f: TrainFlags, take: AppliedDefaults['take']): BackboneConfig | undefined {
  if (f.backbone === undefined) {
    if (f.backboneLrMult !== undefined) throw new UserError(M.flagNeeds('--backbone-lr-mult', '--backbone', 'no backbone'));
    if (f.freezeBackbone !== undefined) throw new UserError(M.flagNeeds('--freeze-backbone', '--backbone', 'no backbone'));
    return undefined;
  }
  const text = String(f.backbone).trim();
  if (text === '') throw new UserError(modelMessages.backboneMissing('""'));
  const modelFlags = familyFlags(FLAG_FAMILIES.model).map(({ spec }) => [`--${spec.name}`, (f as unknown as GivenFlags)[flagKey(spec.name)]] as const);
  for (const [flag, given] of [['--model', f.model], ...modelFlags] as const) {
    if (given !== undefined) throw new UserError(modelMessages.modelFlagWithBackbone(flag, text));
  }
  if (isBuiltinBackbone(text) && !BUILTIN_NAMES.includes(text)) throw new UserError(modelMessages.unknownBuiltin(text, BUILTIN_NAMES));
  const freeze = take('--freeze-backbone', f.freezeBackbone, false);
  if (freeze && f.backboneLrMult !== undefined) throw new UserError(modelMessages.lrMultWithFreeze);
  const lrMult = freeze ? DEFAULTS.backboneLrMult : take('--backbone-lr-mult', f.backboneLrMult, DEFAULTS.backboneLrMult);
  if (!(lrMult > 0) || !Number.isFinite(lrMult)) throw new UserError(M.positiveNumber('--backbone-lr-mult', lrMult));
  return { source: isBuiltinBackbone(text) ? text : resolve(text), lrMult, freeze };
}

/**
 * The chosen dataset's own flags (data/: --image-size and --normalization for the image datasets,
 * image-dataset.ts): another dataset's flag is refused naming the spec, the defaults applied are
 * recorded in `applied`. The settings go into config.json's `dataset`.
 */
export function resolveDatasetFlags(given: GivenFlags, spec: string, applied: AppliedDefaults = new AppliedDefaults()): DatasetSettings {
  const kind = datasetKind(spec) ?? spec;
  refuseUnreadFlags(FLAG_FAMILIES.dataset, kind, given, spec);
  const member = DATASET_MEMBERS.find((m) => m.kind === kind);
  return member?.fromFlags?.(given, memberTake(applied, FLAG_FAMILIES.dataset, kind)) ?? {};
}

/** The chosen backend's own flags (backend/choices.ts: --threads for auto and wasm); another backend's flag is refused. */
export function resolveBackendFlags(given: GivenFlags, backend: BackendChoice, applied: AppliedDefaults = new AppliedDefaults()): BackendSettings {
  refuseUnreadFlags(FLAG_FAMILIES.backend, backend, given);
  const member = BACKENDS.find((b) => b.kind === backend) as { fromFlags?: (flags: GivenFlags, take: TakeDefault) => Partial<BackendSettings> };
  return { ...BACKEND_UNSET, ...member.fromFlags?.(given, memberTake(applied, FLAG_FAMILIES.backend, backend)) };
}

/**
 * A policy that waits for `window` consecutive snapshots can never fire in a run with fewer
 * snapshots than that: refused, not left to say nothing.
 */
function checkPolicyFits(policy: WarmupPolicyConfig, text: string, snapshots: number): void {
  const window = (policy as { window?: unknown }).window;
  if (typeof window === 'number' && window > snapshots) throw new UserError(M.policyWindowTooLong(text, window, snapshots));
}

/** The start under --parity: an implementation without a warm-up (PML) fixes it, and a different --xbm-start is refused. */
function parityStart(parity: ParityMode | null, text: string | undefined, memorySize: number): XbmStart {
  const fixed = parity?.fixedStart;
  if (fixed === undefined || memorySize === 0) return parseXbmStart(text, memorySize);
  if (text !== undefined && text.trim() !== String(fixed)) throw new UserError(M.parityConflict('--xbm-start', parity!.kind, `it has no warm-up: the memory is used from iteration ${fixed}`));
  return { kind: 'at', iteration: fixed };
}

/** --xbm-start N | off | auto[:policy]; without a memory XBM is off whatever the flag says. The policy is parsed here. */
export function parseXbmStart(text: string | undefined, memorySize: number): XbmStart {
  if (memorySize === 0) {
    if (text !== undefined && text !== 'off') throw new UserError(M.startWithoutMemory(text));
    return { kind: 'off' };
  }
  const t = (text ?? 'auto').trim();
  if (t === 'off') return { kind: 'off' };
  if (t === 'auto' || t.startsWith('auto:')) {
    try {
      return { kind: 'auto', policy: parseWarmupPolicy(t === 'auto' ? STUDY_CHOICE.policy : t.slice(5)) };
    } catch (e) {
      throw e instanceof UserError ? new UserError(M.badAutoPolicy(t, e.message)) : e;
    }
  }
  if (/^\d+$/.test(t)) return { kind: 'at', iteration: Number(t) };
  throw new UserError(M.badXbmStart(t, WARMUP_POLICY_USAGES));
}

/**
 * A TrainConfig read back from config.json, in today's shape. Older versions wrote the auto
 * policy as text (`{kind: 'auto', policy: 'plateau:window=3'}`): it is parsed here; a typed one is
 * validated. A config without xbm.adapt (before --xbm-adapt) is plain XBM, 'none'. Everything
 * else is passed through as written.
 */
export function normaliseTrainConfig(raw: unknown): TrainConfig {
  let config = raw as TrainConfig;
  // Runs from before --xbm-adapt used plain XBM.
  if (config?.xbm && config.xbm.adapt === undefined) config = { ...config, xbm: { ...config.xbm, adapt: { kind: 'none' } } };
  // A hand-edited combine would otherwise fall back to the default silently.
  const combine = config?.xbm?.combine;
  if (combine !== undefined) choice('config.json xbm.combine', combine, XBM_COMBINES, combine);
  if (config?.parity !== undefined) parityMode(String(config.parity));
  const start = (config?.xbm as { start?: unknown } | undefined)?.start as { kind?: unknown; policy?: unknown } | undefined;
  if (start?.kind !== 'auto') return config;
  const policy = typeof start.policy === 'string'
    ? parseWarmupPolicy(start.policy)
    : validateWarmupPolicy(start.policy as WarmupPolicyConfig);
  return { ...config, xbm: { ...config.xbm, start: { kind: 'auto', policy } } };
}

/** The iteration the memory span covers: its oldest entry was computed S = ceil(M / B) steps ago. */
export function memorySpan(config: Pick<TrainConfig, 'xbm' | 'batchSize'>): number {
  return spanOf(config.xbm.size, config.batchSize);
}
