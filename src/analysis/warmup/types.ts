/** Shared types of the warm-up policies: when to switch the cross-batch memory on. */

/** A parsed policy: the union of the registered policies' configs (policies/index.ts). */
export type { WarmupPolicyConfig, WarmupPolicyKind } from './policies/index.js';
import type { WarmupPolicyKind } from './policies/index.js';

export interface WarmupContext {
  /** M: memory capacity in embeddings. */
  memorySize: number;
  /** B: embeddings enqueued per iteration. */
  batchSize: number;
  /**
   * The similarity margin of the loss (contrastive 0.5). For losses without a margin pass the
   * equivalent scale (multi-similarity: its base lambda, 0.5); a non-finite or non-positive value
   * falls back to the documented per-loss equivalent (see threshold.ts).
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

export interface WarmupDecision {
  start: number | null;
  policy: WarmupPolicyKind;
  parameters: Record<string, number | string>;
  evidence: WarmupEvidence;
  /** One plain sentence. */
  reason: string;
}
