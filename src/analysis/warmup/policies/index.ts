import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import { fixed } from './fixed.js';
import { plateau } from './plateau.js';
import type { WarmupPolicy } from './policy.js';
import { scatter } from './scatter.js';
import { staleness } from './staleness.js';
import { trial } from './trial.js';

/**
 * Every warm-up policy, one line each. A new policy is one file exporting a WarmupPolicy (see
 * policy.ts) and one line here. Read by parseWarmupPolicy/validateWarmupPolicy, OnlineWarmup (the
 * trainer, through XbmController), decideWarmup (the warmup command and the demo) and the config.
 */
export const WARMUP_POLICIES = [staleness, plateau, scatter, trial, fixed] as const;

type ConfigOf<P> = P extends WarmupPolicy<infer C> ? C : never;
/** A parsed, validated policy: the union of the registered policies' configs. */
export type WarmupPolicyConfig = ConfigOf<(typeof WARMUP_POLICIES)[number]>;
export type WarmupPolicyKind = WarmupPolicyConfig['kind'];

export const WARMUP_POLICY_KINDS: readonly WarmupPolicyKind[] = WARMUP_POLICIES.map((p) => p.kind);
/** How each is written, for messages and --help: staleness, plateau, scatter, fixed:<iteration>. */
export const WARMUP_POLICY_USAGES: readonly string[] = WARMUP_POLICIES.map((p) => p.usage);

/** Each parameter any policy declares, once, with the policies that declare it (the warmup verb's flags). */
export function policyParameters(): { key: string; policies: { kind: WarmupPolicyKind; describe: string }[] }[] {
  const out = new Map<string, { key: string; policies: { kind: WarmupPolicyKind; describe: string }[] }>();
  for (const p of WARMUP_POLICIES) {
    for (const { key, describe } of p.parameters) {
      const entry = out.get(key) ?? { key, policies: [] };
      entry.policies.push({ kind: p.kind, describe });
      out.set(key, entry);
    }
  }
  return [...out.values()];
}

/** The registered policy of this kind, or a UserError listing them. */
export function warmupPolicy(kind: string): WarmupPolicy<WarmupPolicyConfig> {
  const p = WARMUP_POLICIES.find((q) => q.kind === kind);
  if (!p) throw new UserError(msg.unknownPolicy(kind, WARMUP_POLICY_USAGES));
  return p as unknown as WarmupPolicy<WarmupPolicyConfig>;
}

export type { PolicyEnv, PolicyParameter, PolicyRun, PolicyTracker, ReasonInput, StartWatch, WarmupPolicy, WatchEvent, WatchStep } from './policy.js';
export { MAX_DRIFT } from './policy.js';
