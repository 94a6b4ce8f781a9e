import { warmupPolicy } from '../analysis/warmup/policies/index.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../errors.js';
import { configMessages as M } from '../messages/config.js';
import { formatWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import type { TrainConfig } from './train-config.js';

/**
 * The checks the flags alone cannot make, against the loaded dataset, before the run folder is
 * created (train/trainer.ts prepare): each a one-line UserError naming the flag and the fix, so a
 * run never completes with Recall@K = NaN or a policy that can never fire. Returns the config to
 * train with: the default Ks fitted to the test split (what config.json then records).
 */
export function checkConfigAgainstDataset(config: TrainConfig, dataset: Dataset): TrainConfig {
  if (!hasPair(dataset.test.labels)) throw new UserError(M.tooFewImagesPerClass(1));
  // Recall@K counts a query's K nearest neighbours: K above their number is the whole gallery.
  // Ks the user gave are refused; the default list is fitted to a small test split (and recorded so).
  const neighbours = neighboursPerQuery(dataset);
  const k = Math.max(...config.eval.ks);
  const ksDefault = config.defaultsApplied?.find((d) => d.flag === 'ks');
  if (k > neighbours && !ksDefault) throw new UserError(M.ksOverGallery(k, neighbours + 1, dataset.spec));
  if (k > neighbours) {
    const ks = config.eval.ks.filter((x) => x <= neighbours);
    const source = `${ksDefault!.source}; ${M.ksFitted(config.eval.ks, neighbours, dataset.spec)}`;
    config = {
      ...config,
      eval: { ...config.eval, ks },
      defaultsApplied: config.defaultsApplied!.map((d) => (d === ksDefault ? { ...d, value: ks, source } : d)),
    };
  }

  // A probe larger than the split is capped: refused when it was asked for, so config.json never says more than was used.
  const given = !(config.defaultsApplied ?? [{ flag: 'probe-size' }]).some((d) => d.flag === 'probe-size');
  const probe = Math.min(config.snapshots.probeSize, dataset.train.size);
  if (config.snapshots.every > 0 && given && config.snapshots.probeSize > dataset.train.size) {
    throw new UserError(M.probeOverSplit(config.snapshots.probeSize, dataset.train.size, dataset.spec));
  }

  // A policy reading the probe's within-class scatter needs two probe images of a class; the probe is stratified one per class first.
  const start = config.xbm.start;
  if (start.kind === 'auto' && config.snapshots.every > 0) {
    const reads = warmupPolicy(start.policy.kind).run(start.policy, { span: 1, driftRef: { threshold: 1, derivation: '' } }).reads ?? [];
    const classes = dataset.train.classes.length;
    if (reads.includes('scatter_within') && probe < 2 * classes) throw new UserError(M.probeTooSmallForScatter(`auto:${formatWarmupPolicy(start.policy)}`, probe, classes));
  }
  return config;
}

/** The most neighbours one query has under the dataset's evaluation protocol. */
function neighboursPerQuery(d: Dataset): number {
  const e = d.evaluation;
  if (!e || e.kind === 'leave-one-out') return d.test.size - 1;
  if (e.kind === 'query-gallery') return e.galleryIds.length;
  return Math.min(...e.sets.map((s) => s.ids.length)) - 1;
}

/** Whether some label occurs twice: a query with a positive to find. */
function hasPair(labels: ArrayLike<number>): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    if (seen.has(labels[i])) return true;
    seen.add(labels[i]);
  }
  return false;
}
