import { basename, resolve } from 'node:path';
import type { EmbedderConfig } from '../model/embedder.js';
import type { LossConfig } from '../losses/create-loss.js';
import { memorySpan as spanOf } from '../analysis/warmup/threshold.js';
import { UserError } from '../errors.js';
import { configMessages as M } from '../messages/config.js';

/** Everything needed to rerun a training run; written as config.json. */
export interface TrainConfig {
  name: string;
  out: string;
  dataset: { spec: string; dataSeed: number; imagesPerClass?: number };
  sampler: { kind: 'pk'; classesPerBatch: number; perClass: number } | { kind: 'shuffle'; batchSize: number };
  batchSize: number;
  model: EmbedderConfig;
  loss: LossSettings;
  optimizer: { kind: 'adam' | 'sgd'; lr: number; momentum: number };
  schedule: { kind: 'constant' } | { kind: 'step'; every: number; gamma: number } | { kind: 'cosine'; minLr: number };
  iterations: number;
  xbm: {
    size: number; // 0: no memory
    weight: number;
    start: XbmStart;
    init: 'empty' | 'random'; // 'random': fill from random training images at the start (the paper's recipe)
    guard: boolean;
  };
  eval: { every: number; ks: number[]; nmi: boolean };
  snapshots: { every: number; offsets: number[]; probeSize: number; logBatches: boolean; stalenessEvery: number };
  checkpointEvery: number;
  seed: number;
  backend: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
  threads: number | null; // null: the machine's cores
}

/** The loss as configured: the losses module's own config type, so the two cannot drift apart. */
export type LossSettings = LossConfig;

/** 'auto' carries the policy text (e.g. 'staleness', 'plateau:window=3'); parsed by analysis/warmup. */
export type XbmStart = { kind: 'off' } | { kind: 'at'; iteration: number } | { kind: 'auto'; policy: string };

/** The defaults, in one place. Why these: README "Defaults". */
export const DEFAULTS = {
  dataset: 'mnist2',
  dataSeed: 0,
  classesPerBatch: 16,
  perClass: 4,
  sampler: 'pk' as const,
  model: 'cnn' as const,
  channels: [32, 64, 128],
  hidden: [256],
  dim: 64,
  loss: 'contrastive' as const,
  margin: { contrastive: 0.5, triplet: 0.1 },
  mining: 'all' as const,
  ms: { alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 },
  optimizer: 'adam' as const,
  lr: 1e-3,
  momentum: 0.9,
  schedule: 'constant' as const,
  lrGamma: 0.1,
  iterations: 1000,
  xbmSize: 0,
  xbmWeight: 1,
  xbmInit: 'empty' as const,
  evalEvery: 200,
  ks: [1, 2, 4, 8],
  snapshotEvery: 50,
  snapshotOffsets: [10],
  probeSize: 512,
  stalenessEvery: 0,
  checkpointEvery: 200,
  seed: 1,
  backend: 'auto' as const,
};

/** Train flags as the CLI (or a library caller) gives them; undefined means "default". */
export interface TrainFlags {
  out: string;
  dataset?: string;
  dataSeed?: number;
  imagesPerClass?: number;
  sampler?: 'pk' | 'shuffle';
  batchSize?: number;
  classesPerBatch?: number;
  perClass?: number;
  model?: 'cnn' | 'mlp';
  channels?: string;
  hidden?: string;
  dim?: number;
  loss?: LossSettings['kind'];
  margin?: number;
  mining?: 'all' | 'semi-hard' | 'hard';
  optimizer?: 'adam' | 'sgd';
  lr?: number;
  momentum?: number;
  schedule?: 'constant' | 'step' | 'cosine';
  lrStep?: number;
  lrGamma?: number;
  iterations?: number;
  xbmSize?: number;
  xbmWeight?: number;
  xbmStart?: string;
  xbmInit?: 'empty' | 'random';
  xbmGuard?: boolean;
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
  backend?: TrainConfig['backend'];
  threads?: number;
}

const BACKENDS = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;

/** Flags -> a validated TrainConfig. Throws UserError naming the flag and the fix. */
export function resolveTrainConfig(f: TrainFlags): TrainConfig {
  const positiveInt = (flag: string, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x < 1) throw new UserError(M.positiveInteger(flag, x));
    return x;
  };
  const nonNegativeInt = (flag: string, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x < 0) throw new UserError(M.nonNegativeInteger(flag, x));
    return x;
  };
  const positive = (flag: string, v: number | undefined, dflt: number) => {
    const x = v ?? dflt;
    if (!(x > 0) || !Number.isFinite(x)) throw new UserError(M.positiveNumber(flag, x));
    return x;
  };
  const intList = (flag: string, text: string | undefined, dflt: number[], min = 1) => {
    if (text === undefined) return dflt;
    const xs = String(text).split(',').filter((s) => s.trim() !== '').map(Number);
    if (xs.some((x) => !Number.isInteger(x) || x < min)) throw new UserError(M.intList(flag, String(text)));
    return xs;
  };

  const backend = f.backend ?? DEFAULTS.backend;
  if (!BACKENDS.includes(backend)) throw new UserError(M.unknownBackend(String(backend), BACKENDS));

  // Batch: P x K for the PK sampler; --batch-size alone picks P = batch / K.
  const samplerKind = f.sampler ?? DEFAULTS.sampler;
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
  } else if (samplerKind === 'shuffle') {
    sampler = { kind: 'shuffle', batchSize: positiveInt('--batch-size', f.batchSize, DEFAULTS.classesPerBatch * DEFAULTS.perClass) };
  } else {
    throw new UserError(M.unknownChoice('--sampler', String(samplerKind), ['pk', 'shuffle']));
  }
  const batchSize = sampler.kind === 'pk' ? sampler.classesPerBatch * sampler.perClass : sampler.batchSize;

  const dim = positiveInt('--dim', f.dim, DEFAULTS.dim);
  const modelKind = f.model ?? DEFAULTS.model;
  let model: EmbedderConfig;
  if (modelKind === 'cnn') model = { kind: 'cnn', channels: intList('--channels', f.channels, DEFAULTS.channels), dim };
  else if (modelKind === 'mlp') model = { kind: 'mlp', hidden: intList('--hidden', f.hidden, DEFAULTS.hidden), dim };
  else throw new UserError(M.unknownChoice('--model', String(modelKind), ['cnn', 'mlp']));
  if (model.kind === 'cnn' && model.channels.length === 0) throw new UserError(M.intList('--channels', String(f.channels)));

  const lossKind = f.loss ?? DEFAULTS.loss;
  let loss: LossSettings;
  if (lossKind === 'contrastive') loss = { kind: 'contrastive', margin: marginOf(f.margin, DEFAULTS.margin.contrastive) };
  else if (lossKind === 'triplet') {
    const mining = f.mining ?? DEFAULTS.mining;
    if (!['all', 'semi-hard', 'hard'].includes(mining)) throw new UserError(M.unknownChoice('--mining', mining, ['all', 'semi-hard', 'hard']));
    loss = { kind: 'triplet', margin: marginOf(f.margin, DEFAULTS.margin.triplet), mining };
  } else if (lossKind === 'multi-similarity') loss = { kind: 'multi-similarity', ...DEFAULTS.ms };
  else throw new UserError(M.unknownChoice('--loss', String(lossKind), ['contrastive', 'triplet', 'multi-similarity']));

  const optimizerKind = f.optimizer ?? DEFAULTS.optimizer;
  if (optimizerKind !== 'adam' && optimizerKind !== 'sgd') throw new UserError(M.unknownChoice('--optimizer', optimizerKind, ['adam', 'sgd']));
  const iterations = positiveInt('--iterations', f.iterations, DEFAULTS.iterations);
  const scheduleKind = f.schedule ?? DEFAULTS.schedule;
  let schedule: TrainConfig['schedule'];
  if (scheduleKind === 'constant') schedule = { kind: 'constant' };
  else if (scheduleKind === 'step') {
    schedule = { kind: 'step', every: positiveInt('--lr-step', f.lrStep, Math.max(1, Math.floor(iterations / 2))), gamma: positive('--lr-gamma', f.lrGamma, DEFAULTS.lrGamma) };
  } else if (scheduleKind === 'cosine') schedule = { kind: 'cosine', minLr: 0 };
  else throw new UserError(M.unknownChoice('--schedule', String(scheduleKind), ['constant', 'step', 'cosine']));

  const xbmSize = nonNegativeInt('--xbm-size', f.xbmSize, DEFAULTS.xbmSize);
  if (xbmSize > 0 && xbmSize < batchSize) throw new UserError(M.memoryTooSmall(xbmSize, batchSize));
  const start = parseXbmStart(f.xbmStart, xbmSize);
  const xbmInit = f.xbmInit ?? DEFAULTS.xbmInit;
  if (xbmInit !== 'empty' && xbmInit !== 'random') throw new UserError(M.unknownChoice('--xbm-init', xbmInit, ['empty', 'random']));
  const xbmWeight = f.xbmWeight ?? DEFAULTS.xbmWeight;
  if (!(xbmWeight >= 0) || !Number.isFinite(xbmWeight)) throw new UserError(M.nonNegativeNumber('--xbm-weight', xbmWeight));

  const snapshotEvery = nonNegativeInt('--snapshot-every', f.snapshotEvery, DEFAULTS.snapshotEvery);
  const offsets = intList('--snapshot-offsets', f.snapshotOffsets, DEFAULTS.snapshotOffsets).filter((g) => g < snapshotEvery);
  if (start.kind === 'auto' && snapshotEvery === 0) throw new UserError(M.autoNeedsSnapshots);

  const out = resolve(f.out);
  return {
    name: basename(out),
    out,
    dataset: { spec: f.dataset ?? DEFAULTS.dataset, dataSeed: nonNegativeInt('--data-seed', f.dataSeed, DEFAULTS.dataSeed), ...(f.imagesPerClass !== undefined ? { imagesPerClass: positiveInt('--images-per-class', f.imagesPerClass, 1) } : {}) },
    sampler,
    batchSize,
    model,
    loss,
    optimizer: { kind: optimizerKind, lr: positive('--lr', f.lr, DEFAULTS.lr), momentum: f.momentum ?? DEFAULTS.momentum },
    schedule,
    iterations,
    xbm: { size: xbmSize, weight: xbmWeight, start, init: xbmInit, guard: f.xbmGuard ?? false },
    eval: { every: nonNegativeInt('--eval-every', f.evalEvery, DEFAULTS.evalEvery), ks: intList('--ks', f.ks, DEFAULTS.ks), nmi: f.nmi ?? true },
    snapshots: {
      every: snapshotEvery,
      offsets,
      probeSize: positiveInt('--probe-size', f.probeSize, DEFAULTS.probeSize),
      logBatches: f.logBatches ?? false,
      stalenessEvery: nonNegativeInt('--staleness-every', f.stalenessEvery, DEFAULTS.stalenessEvery),
    },
    checkpointEvery: nonNegativeInt('--checkpoint-every', f.checkpointEvery, DEFAULTS.checkpointEvery),
    seed: nonNegativeInt('--seed', f.seed, DEFAULTS.seed),
    backend,
    threads: f.threads === undefined ? null : positiveInt('--threads', f.threads, 1),
  };

  function marginOf(v: number | undefined, dflt: number) {
    const m = v ?? dflt;
    if (!(m >= 0 && m <= 2)) throw new UserError(M.marginRange(m));
    return m;
  }
}

/** --xbm-start N | off | auto[:policy]; without a memory XBM is off whatever the flag says. */
export function parseXbmStart(text: string | undefined, memorySize: number): XbmStart {
  if (memorySize === 0) {
    if (text !== undefined && text !== 'off') throw new UserError(M.startWithoutMemory(text));
    return { kind: 'off' };
  }
  const t = (text ?? 'auto').trim();
  if (t === 'off') return { kind: 'off' };
  if (t === 'auto') return { kind: 'auto', policy: 'staleness' };
  if (t.startsWith('auto:')) return { kind: 'auto', policy: t.slice(5) };
  if (/^\d+$/.test(t)) return { kind: 'at', iteration: Number(t) };
  throw new UserError(M.badXbmStart(t));
}

/** The iteration the memory span covers: its oldest entry was computed S = ceil(M / B) steps ago. */
export function memorySpan(config: Pick<TrainConfig, 'xbm' | 'batchSize'>): number {
  return spanOf(config.xbm.size, config.batchSize);
}
