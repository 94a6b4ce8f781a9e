import { UserError } from '../../errors.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { WARMUP_POLICIES, warmupPolicy, WARMUP_POLICY_USAGES, type WarmupPolicyConfig, type WarmupPolicyKind } from './policies/index.js';

export { MAX_DRIFT } from './policies/index.js';

/** Defaults of the warm-up policies, by policy (each policy file holds its own). */
export const WARMUP_DEFAULTS = Object.fromEntries(WARMUP_POLICIES.map((p) => [p.kind, p.defaults])) as Readonly<
  Record<WarmupPolicyKind, Readonly<Record<string, number>>>
>;

/**
 * Parse a policy spec: 'staleness', 'staleness:threshold=0.05,window=3', 'plateau',
 * 'plateau:relativeChange=0.1,window=3,gap=100', 'fixed:1000' (or 'fixed:start=1000').
 * The policy's own file parses what follows the name (policies/). Unknown policies or
 * parameters and out-of-range values throw a UserError.
 */
export function parseWarmupPolicy(text: string): WarmupPolicyConfig {
  const spec = text.trim();
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : spec.slice(colon + 1).trim();
  return warmupPolicy(name).parse(rest);
}

/** Range checks shared by the parser and by configs built in code. Returns the config. */
export function validateWarmupPolicy<T extends WarmupPolicyConfig>(cfg: T): T {
  const kind = (cfg as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !WARMUP_POLICIES.some((p) => p.kind === kind)) {
    throw new UserError(msg.unknownPolicy(String(kind), WARMUP_POLICY_USAGES));
  }
  warmupPolicy(kind).validate(cfg);
  return cfg;
}

/**
 * The spec text of a parsed policy, e.g. 'staleness:window=3,threshold=0.02': parses back to the
 * same config (for messages and files that show the policy as the user would write it).
 */
export function formatWarmupPolicy(cfg: WarmupPolicyConfig): string {
  const params = Object.entries(cfg).filter(([k, v]) => k !== 'kind' && v !== undefined);
  return params.length === 0 ? cfg.kind : `${cfg.kind}:${params.map(([k, v]) => `${k}=${v}`).join(',')}`;
}
