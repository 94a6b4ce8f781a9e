import { num, obj } from '../json-values.js';

/**
 * The XBM start as run folders hold it. The types are the file contract: the warm-up policies
 * (analysis/warmup) and the configuration (config/) produce values of these types and import them
 * from here, so a change to a producer cannot change a file's shape unnoticed.
 */

/**
 * config.json `xbm.start` and run.json `xbm.requested`: off, a fixed iteration, or a policy that
 * decides. P is the policy's parsed configuration (config/ narrows it to the registered policies);
 * config.json files from before the policy was parsed hold its text.
 */
export type XbmStart<P = unknown> = { kind: 'off' } | { kind: 'at'; iteration: number } | { kind: 'auto'; policy: P };

/** What a warm-up decision is made for: the memory and batch sizes and the loss's scale. */
export interface WarmupContext {
  /** M: memory capacity in embeddings. */
  memorySize: number;
  /** B: embeddings enqueued per iteration. */
  batchSize: number;
  /**
   * The similarity margin of the loss (contrastive 0.5). For losses without a margin pass the
   * equivalent scale (multi-similarity: its base lambda, 0.5); a non-finite or non-positive value
   * falls back to the documented per-loss equivalent (see analysis/warmup/threshold.ts).
   */
  margin: number;
  /** 'contrastive', 'triplet', 'multi-similarity', ... */
  lossKind: string;
  /** Iterations with an embedding snapshot, when known; used in messages about missing data. */
  snapshotIterations?: number[];
}

/** One drift value a policy used: D(iteration; gap), the mean over the probe set. */
export interface DriftPoint {
  iteration: number;
  gap: number;
  drift: number;
  /**
   * The probe's within- and between-class scatter W(t), B(t) (drift.csv scatter_within,
   * scatter_between), present only when the row has finite values of them. Only the scatter
   * policy reads them; it treats an absent value as not measured.
   */
  scatterWithin?: number;
  scatterBetween?: number;
  /** The probe's spread P(t) (drift.csv probe_spread), when measured; the trial policy reads it. */
  spread?: number;
}

/** How far a policy that has not fired still is from firing. */
export interface WarmupShortfall {
  /** Last snapshot evaluated and the value compared there (drift; relative change for plateau; D/W for scatter). */
  lastIteration: number | null;
  lastValue: number | null;
  /** The value it must reach: the drift threshold, or the relative change for plateau. */
  target: number;
  /** lastValue - target and lastValue / target (null when nothing was evaluated). */
  excess: number | null;
  ratio: number | null;
  /** Current run of consecutive snapshots meeting the target, out of `window`. */
  consecutive: number;
  window: number;
  /** Lowest value seen so far. */
  best: { iteration: number; value: number } | null;
  /** scatter only: B/W at the last snapshot (must exceed 1), and how many snapshots lacked W or B. */
  separation?: number | null;
  unmeasured?: number;
}

export interface WarmupEvidence {
  /** S = ceil(M / B): how many iterations the full memory spans. */
  memorySpan: number;
  memorySize: number;
  batchSize: number;
  /** The gap the policy reads drift at (S for staleness; plateau's `gap`, default S). */
  gap: number;
  /** How D(t; gap) is obtained from the measured gaps. */
  gapLookup: string;
  /** Measured gaps actually read (the smallest measured gap >= `gap` at each snapshot). */
  gapsUsed: number[];
  /** The value the policy compares with: drift threshold (staleness), relative change (plateau) or D/W (scatter: its ratio). */
  threshold: number | null;
  thresholdDerivation: string;
  /** The margin-derived drift threshold, shown for comparison by every policy. */
  driftThreshold: number;
  driftThresholdDerivation: string;
  window: number | null;
  /** The drift values the policy used, in iteration order. */
  drift: DriftPoint[];
  /** plateau only: (max - min) / mean of the drift over each full window, by its last iteration. */
  relativeChanges?: { iteration: number; value: number }[];
  /** The snapshot iterations of the window that fired (start = the last); empty when not reached. */
  firedAt: number[];
  /** Present when the policy has not fired. */
  shortfall: WarmupShortfall | null;
}

/**
 * A warm-up policy's decision: run.json `xbm.decision` (the online policy that started XBM) and
 * analysis/warmup.json `decision` (an offline suggestion). K is the policy kind (the policies'
 * registry narrows it; files hold any name).
 */
export interface WarmupDecision<K extends string = string> {
  start: number | null;
  policy: K;
  parameters: Record<string, number | string>;
  evidence: WarmupEvidence;
  /** One plain sentence. */
  reason: string;
}

/** The decision as the files hold it. */
export type XbmStartDecision = WarmupDecision;

/**
 * A start fixed by the configuration is a decision too, with policy 'fixed' and no evidence:
 * StartDecision is what the report shows for either.
 */
export interface StartDecision {
  start: number | null;
  policy: string;
  parameters?: unknown;
  evidence?: unknown;
  reason?: string;
}

/**
 * The start a configuration fixes (config.json `xbm.start`, run.json `xbm.requested`): the iteration
 * of {kind: 'at'}, null for {kind: 'off'}, undefined for {kind: 'auto'} (a policy decides).
 * A bare number or 'off' (older files, other tools) is accepted too.
 */
export function configuredStart(v: XbmStart | unknown): number | null | undefined {
  if (v === null || v === 'off') return null;
  if (num(v) !== undefined) return num(v);
  const o = obj(v);
  if (o?.kind === 'off') return null;
  if (o?.kind === 'at') return num(o.iteration);
  return undefined;
}
