import { UserError } from '../../errors.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import type { WarmupPolicyConfig, WarmupPolicyKind } from './types.js';

/** Defaults of the warm-up policies, in one place. */
export const WARMUP_DEFAULTS = {
  staleness: { window: 3 },
  plateau: { relativeChange: 0.1, window: 3 },
} as const;

/** Mean squared distance of unit vectors lies in [0, 4]. */
export const MAX_DRIFT = 4;

const PARAMETERS: Record<Exclude<WarmupPolicyKind, 'fixed'>, readonly string[]> = {
  staleness: ['threshold', 'window'],
  plateau: ['relativeChange', 'window', 'gap'],
};
// Accepted spellings of plateau's relativeChange on the command line.
const ALIASES: Record<string, string> = { 'relative-change': 'relativeChange', relativechange: 'relativeChange', r: 'relativeChange' };

/**
 * Parse a policy spec: 'staleness', 'staleness:threshold=0.05,window=3', 'plateau',
 * 'plateau:relativeChange=0.1,window=3,gap=100', 'fixed:1000' (or 'fixed:start=1000').
 * Unknown policies or parameters and out-of-range values throw a UserError.
 */
export function parseWarmupPolicy(text: string): WarmupPolicyConfig {
  const spec = text.trim();
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : spec.slice(colon + 1).trim();
  if (name === 'fixed') {
    const value = rest.replace(/^start\s*=/i, '').trim();
    if (value === '') throw new UserError(msg.fixedNeedsStart);
    return validateWarmupPolicy({ kind: 'fixed', start: toNumber('fixed', 'start', value) });
  }
  if (name !== 'staleness' && name !== 'plateau') throw new UserError(msg.unknownPolicy(name));
  const values: Record<string, number> = {};
  for (const part of rest === '' ? [] : rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new UserError(msg.badPolicyParameterSyntax(name, part.trim()));
    const raw = part.slice(0, eq).trim();
    const key = ALIASES[raw.toLowerCase()] ?? raw;
    if (!PARAMETERS[name].includes(key)) throw new UserError(msg.unknownPolicyParameter(name, raw, PARAMETERS[name]));
    values[key] = toNumber(name, key, part.slice(eq + 1).trim());
  }
  if (name === 'staleness') {
    return validateWarmupPolicy({
      kind: 'staleness',
      window: values.window ?? WARMUP_DEFAULTS.staleness.window,
      ...(values.threshold !== undefined ? { threshold: values.threshold } : {}),
    });
  }
  return validateWarmupPolicy({
    kind: 'plateau',
    relativeChange: values.relativeChange ?? WARMUP_DEFAULTS.plateau.relativeChange,
    window: values.window ?? WARMUP_DEFAULTS.plateau.window,
    ...(values.gap !== undefined ? { gap: values.gap } : {}),
  });
}

function toNumber(policy: string, key: string, value: string): number {
  const x = value === '' ? NaN : Number(value);
  if (Number.isNaN(x)) throw new UserError(msg.badPolicyNumber(policy, key, value));
  return x;
}

/** Range checks shared by the parser and by configs built in code. Returns the config. */
export function validateWarmupPolicy<T extends WarmupPolicyConfig>(cfg: T): T {
  const c = cfg as WarmupPolicyConfig;
  const integerAtLeast = (key: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new UserError(msg.policyOutOfRange(c.kind, key, v, `an integer >= ${min}`));
  };
  switch (c.kind) {
    case 'staleness':
      integerAtLeast('window', c.window, 1);
      if (c.threshold !== undefined && !(c.threshold > 0 && c.threshold <= MAX_DRIFT)) {
        throw new UserError(msg.policyOutOfRange('staleness', 'threshold', c.threshold, `in (0, ${MAX_DRIFT}] (the drift of unit vectors is at most ${MAX_DRIFT})`));
      }
      break;
    case 'plateau':
      if (!(c.relativeChange > 0 && c.relativeChange <= 1)) {
        throw new UserError(msg.policyOutOfRange('plateau', 'relativeChange', c.relativeChange, 'in (0, 1]'));
      }
      integerAtLeast('window', c.window, 2);
      if (c.gap !== undefined) integerAtLeast('gap', c.gap, 1);
      break;
    case 'fixed':
      integerAtLeast('start', c.start, 0);
      break;
    default:
      throw new UserError(msg.unknownPolicy(String((c as { kind: unknown }).kind)));
  }
  return cfg;
}
