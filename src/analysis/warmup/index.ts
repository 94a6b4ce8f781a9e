/** Warm-up policies: when to switch the cross-batch memory on, and when to pause it. */
export type {
  WarmupPolicyConfig, WarmupPolicyKind, WarmupContext, WarmupDecision, WarmupEvidence, WarmupShortfall, DriftPoint,
} from './types.js';
export { memorySpan, defaultDriftThreshold, MARGIN_FRACTION, MARGIN_EQUIVALENTS, FALLBACK_MARGIN } from './threshold.js';
export { GAP_LOOKUP, rowAtGap, driftSeries, measuredGaps } from './drift-at-gap.js';
export { parseWarmupPolicy, validateWarmupPolicy, WARMUP_DEFAULTS, MAX_DRIFT } from './parse-policy.js';
export { StalenessTracker, type PolicyTracker } from './staleness.js';
export { PlateauTracker, relativeChange } from './plateau.js';
export { OnlineWarmup } from './online.js';
export { decideWarmup, assertEvaluable } from './decide.js';
export { XbmGuard, GUARD_DEFAULTS, type XbmGuardOptions, type GuardEvent } from './guard.js';
export { adviseMemorySize, type MemorySizeAdvice } from './memory-advice.js';
