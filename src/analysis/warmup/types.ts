/** Shared types of the warm-up policies: when to switch the cross-batch memory on. */

/** A parsed policy: the union of the registered policies' configs (policies/index.ts). */
export type { WarmupPolicyConfig, WarmupPolicyKind } from './policies/index.js';
import type { WarmupPolicyKind } from './policies/index.js';

// The decision's types are the run-folder contract (run.json, analysis/warmup.json): io/ owns them.
import type { WarmupDecision as DecisionOf } from '../../io/formats/start-decision.js';
export type { WarmupContext, DriftPoint, WarmupShortfall, WarmupEvidence } from '../../io/formats/start-decision.js';

/** A decision of one of the registered policies. */
export type WarmupDecision = DecisionOf<WarmupPolicyKind>;
