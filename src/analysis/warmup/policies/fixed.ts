import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import { integerAtLeast, parameterKeys, parseKeyValues, policyNumber, type WarmupPolicy } from './policy.js';

/** Start at a fixed iteration, as the paper and every public implementation do (1,000 in the paper). */
export interface FixedConfig {
  kind: 'fixed';
  start: number;
}

/** fixed:1000 or fixed:start=1000. Drift plays no part; what was measured before the start is reported. */
export const fixed: WarmupPolicy<FixedConfig> = {
  kind: 'fixed',
  usage: 'fixed:<iteration>',
  defaults: {},
  parameters: [{ key: 'start', describe: 'the iteration XBM starts at' }],
  parse(rest) {
    if (rest.trim() === '' || /^start\s*=\s*$/i.test(rest)) throw new UserError(msg.fixedNeedsStart);
    // fixed:1000, or fixed:start=1000 (key=value, like every other policy).
    const start = rest.includes('=') ? parseKeyValues('fixed', rest, parameterKeys(fixed.parameters), { start: 'start' }).start : policyNumber('fixed', 'start', rest.trim());
    return fixed.validate({ kind: 'fixed', start });
  },
  validate(cfg) {
    integerAtLeast('fixed', 'start', cfg.start, 0);
    return cfg;
  },
  startAt: (cfg) => cfg.start,
  run(cfg, { span, driftRef }) {
    return {
      gap: span,
      threshold: null,
      thresholdDerivation: msg.fixedNoThreshold,
      window: null,
      driftBudget: driftRef.threshold,
      tracker: null,
      startAt: cfg.start,
      parameters: { start: cfg.start },
      reason: ({ evidence, points, gapText }) => msg.fixedReason(cfg.start, gapText, points.at(-1) ?? null, evidence.driftThreshold),
    };
  },
};
