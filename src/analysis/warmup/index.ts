/** Warm-up policies: when to switch the cross-batch memory on, and when to pause it. */
export type {
  WarmupPolicyConfig, WarmupPolicyKind, WarmupContext, WarmupDecision, WarmupEvidence, WarmupShortfall, DriftPoint,
} from './types.js';
export { memorySpan, defaultDriftThreshold, MARGIN_FRACTION, MARGIN_EQUIVALENTS, FALLBACK_MARGIN } from './threshold.js';
export { GAP_LOOKUP, rowAtGap, driftSeries, measuredGaps } from './drift-at-gap.js';
export { parseWarmupPolicy, validateWarmupPolicy, formatWarmupPolicy, WARMUP_DEFAULTS, MAX_DRIFT } from './parse-policy.js';
export {
  WARMUP_POLICIES, WARMUP_POLICY_KINDS, WARMUP_POLICY_USAGES, DEFAULT_WARMUP_POLICY, warmupPolicy,
  type WarmupPolicy, type PolicyRun, type PolicyTracker,
} from './policies/index.js';
export { StalenessTracker } from './policies/staleness.js';
export { PlateauTracker, relativeChange } from './policies/plateau.js';
export { OnlineWarmup } from './online.js';
export { decideWarmup, assertEvaluable } from './decide.js';
export { XbmGuard, GUARD_DEFAULTS, type XbmGuardOptions, type GuardEvent } from './guard.js';
export { adviseMemorySize, type MemorySizeAdvice } from './memory-advice.js';
