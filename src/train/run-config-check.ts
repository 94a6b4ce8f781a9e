import { isDeepStrictEqual } from 'node:util';
import { DEFAULTS, resolveTrainConfig, type TrainConfig, type TrainFlags } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { FLAG_FAMILIES, familyFlags, memberFlagValues, memberReads } from '../config/component-flags.js';
import { flagKey } from '../flag-spec.js';
import { datasetKind } from '../data/registry.js';
import { lossDefinition } from '../losses/registry.js';
import { trainMessages as M } from '../messages/train.js';

/**
 * A run's config.json, checked exactly as a start checks its flags: the config is turned back into
 * the flags that give it and resolved again by `resolveTrainConfig`. A value no start accepts (a
 * hand-edited `"iterations": -5`) is refused with the resolver's own reason, and so is one the
 * resolver would never produce (fields it writes must come back equal). `path` names the file.
 */
export function checkRunConfig(config: TrainConfig, path: string): void {
  let again: TrainConfig;
  try {
    again = resolveTrainConfig(flagsOf(config));
  } catch (e) {
    if (e instanceof UserError) throw new UserError(M.badRunConfig(path, e.message.replace(/[.:]\s*$/, '')));
    throw e;
  }
  // The loss's own parameters (those without a flag too) are checked by its definition.
  try {
    lossDefinition(config.loss.kind).validate(config.loss);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(M.badRunConfig(path, e.message.replace(/[.:]\s*$/, '')));
    throw e;
  }
  const differs = firstDifference(config, again, [...NOT_COMPARED, ...unusedFields(config)]);
  if (differs) throw new UserError(M.badRunConfig(path, `${differs.field} is ${JSON.stringify(differs.stored)}, which its settings resolve to ${JSON.stringify(differs.resolved)}`));
}

/** Fields not compared: where the run is, the record of defaults, and the loss (validated by its definition). */
const NOT_COMPARED = ['out', 'name', 'defaultsApplied', 'loss'];

/**
 * Fields that hold the default of their day without effect (sgd's momentum under Adam, the memory's
 * settings without a memory, an auto start's policy, checked when read): not given back as flags,
 * so a changed default must not make an older run unresumable.
 */
function unusedFields(c: TrainConfig): string[] {
  return [
    ...(c.optimizer.kind !== 'sgd' ? ['optimizer.momentum'] : []),
    ...(c.xbm.size === 0 ? ['xbm.weight', 'xbm.init', 'xbm.guard', 'xbm.adapt', 'xbm.start'] : []),
    ...(c.xbm.start?.kind === 'auto' ? ['xbm.start'] : []),
    // a backend's flag with a backend that does not read it (--threads with cpu: refused since 0.2.x, recorded by older runs)
    ...familyFlags(FLAG_FAMILIES.backend).filter(({ spec }) => !memberReads(FLAG_FAMILIES.backend, c.backend, spec.name)).map(({ spec }) => spec.field ?? flagKey(spec.name)),
  ];
}

/**
 * The flags a start would have been given for `c`. Flags that only some settings allow (sgd's
 * momentum, a step schedule's, a memory's) are given only where those settings are; an auto start's
 * policy was validated when config.json was read (normaliseTrainConfig), so its flag is left out.
 */
export function flagsOf(c: TrainConfig): TrainFlags {
  const x = c.xbm;
  const start = x.start.kind === 'off' ? 'off' : x.start.kind === 'at' ? String(x.start.iteration) : undefined;
  return {
    out: c.out,
    dataset: c.dataset.spec, dataSeed: c.dataset.dataSeed, imagesPerClass: c.dataset.imagesPerClass,
    ...memberFlagValues(FLAG_FAMILIES.dataset, { kind: datasetKind(c.dataset.spec) ?? c.dataset.spec, ...c.dataset.image, ...c.dataset.settings }),
    sampler: c.sampler.kind,
    ...(c.sampler.kind === 'pk' ? { classesPerBatch: c.sampler.classesPerBatch, perClass: c.sampler.perClass } : { batchSize: c.sampler.batchSize }),
    microBatch: c.microBatch,
    ...(c.backbone
      ? { backbone: c.backbone.source, freezeBackbone: c.backbone.freeze, ...(c.backbone.freeze ? {} : { backboneLrMult: c.backbone.lrMult }) }
      : { model: c.model.kind, ...memberFlagValues(FLAG_FAMILIES.model, c.model) }),
    dim: c.model.dim,
    loss: c.loss.kind,
    ...memberFlagValues(FLAG_FAMILIES.loss, c.loss),
    ...(c.parity ? { parity: c.parity } : { reducer: c.loss.reducer }),
    optimizer: c.optimizer.kind, lr: c.optimizer.lr, ...(c.optimizer.kind === 'sgd' ? { momentum: c.optimizer.momentum } : {}),
    schedule: c.schedule.kind, ...(c.schedule.kind === 'step' ? { lrStep: c.schedule.every, lrGamma: c.schedule.gamma } : {}),
    iterations: c.iterations,
    xbmSize: x.size,
    ...(x.size > 0 ? {
      xbmStart: start,
      ...(x.weight !== DEFAULTS.xbmWeight ? { xbmWeight: x.weight } : {}),
      ...(x.init !== DEFAULTS.xbmInit ? { xbmInit: x.init } : {}),
      ...(x.guard ? { xbmGuard: true } : {}),
      ...(c.parity && x.adapt.kind === 'none' ? {} : { xbmAdapt: x.adapt.kind }),
      ...('momentum' in x.adapt ? { xbmMomentum: x.adapt.momentum } : {}),
    } : {}),
    evalEvery: c.eval.every, ks: c.eval.ks.join(','), nmi: c.eval.nmi,
    snapshotEvery: c.snapshots.every, snapshotOffsets: c.snapshots.offsets.join(','), probeSize: c.snapshots.probeSize,
    logBatches: c.snapshots.logBatches, stalenessEvery: c.snapshots.stalenessEvery,
    checkpointEvery: c.checkpointEvery, seed: c.seed, backend: c.backend,
    ...memberFlagValues(FLAG_FAMILIES.backend, { ...c, kind: c.backend }),
    ...(c.smartMining ? {
      batchMining: 'smart', indexRefresh: c.smartMining.refresh, index: c.smartMining.index, smartNegatives: c.smartMining.negatives,
      smartNeighbours: c.smartMining.neighbours, smartController: c.smartMining.controller,
    } : {}),
  } as TrainFlags;
}

/** The first field (dotted path) present in `stored` whose value `resolved` does not repeat; fields absent from older files are not compared. */
function firstDifference(stored: unknown, resolved: unknown, skip: readonly string[], at = ''): { field: string; stored: unknown; resolved: unknown } | null {
  if (skip.includes(at)) return null;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(stored) && isObject(resolved)) {
    for (const [key, value] of Object.entries(stored)) {
      const d = firstDifference(value, resolved[key], skip, at ? `${at}.${key}` : key);
      if (d) return d;
    }
    return null;
  }
  return isDeepStrictEqual(stored, resolved) ? null : { field: at, stored, resolved };
}
