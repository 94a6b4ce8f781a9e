import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import type { DriftPoint, WarmupShortfall } from '../../../io/formats/start-decision.js';
import { integerAtLeast, MAX_DRIFT, parameterKeys, parseKeyValues, type PolicyTracker, type WarmupPolicy } from './policy.js';

/** Start once D(t; S) stays at or below `threshold` (default: margin-derived) for `window` consecutive snapshots. */
export interface StalenessConfig {
  kind: 'staleness';
  threshold?: number;
  window: number;
}

/**
 * Staleness budget: fires at the first snapshot where D(t; S) has been at or below the threshold
 * for `window` consecutive evaluated snapshots. A value above it, or non-finite, restarts the count.
 */
export class StalenessTracker implements PolicyTracker {
  private run: number[] = [];
  private last: DriftPoint | null = null;
  private best: DriftPoint | null = null;

  constructor(readonly threshold: number, readonly window: number) {}

  step(point: DriftPoint): number[] | null {
    this.last = point;
    if (Number.isFinite(point.drift) && (this.best === null || point.drift < this.best.drift)) this.best = point;
    if (Number.isFinite(point.drift) && point.drift <= this.threshold) this.run.push(point.iteration);
    else this.run = [];
    return this.run.length >= this.window ? this.run.slice(-this.window) : null;
  }

  shortfall(): WarmupShortfall {
    const v = this.last?.drift ?? null;
    return {
      lastIteration: this.last?.iteration ?? null,
      lastValue: v,
      target: this.threshold,
      excess: v === null ? null : v - this.threshold,
      ratio: v === null ? null : v / this.threshold,
      consecutive: this.run.length,
      window: this.window,
      best: this.best && { iteration: this.best.iteration, value: this.best.drift },
    };
  }
}

const DEFAULTS = { window: 3 } as const;

export const staleness: WarmupPolicy<StalenessConfig> = {
  kind: 'staleness',
  usage: 'staleness',
  defaults: DEFAULTS,
  parameters: [
    { key: 'threshold', describe: 'the drift threshold on D(t; S) (default (margin/4)^2)' },
    { key: 'window', describe: `consecutive snapshots at or below it (default ${DEFAULTS.window})` },
  ],
  parse(rest) {
    const values = parseKeyValues('staleness', rest, parameterKeys(staleness.parameters));
    return staleness.validate({
      kind: 'staleness',
      window: values.window ?? DEFAULTS.window,
      ...(values.threshold !== undefined ? { threshold: values.threshold } : {}),
    });
  },
  validate(cfg) {
    integerAtLeast('staleness', 'window', cfg.window, 1);
    if (cfg.threshold !== undefined && !(cfg.threshold > 0 && cfg.threshold <= MAX_DRIFT)) {
      throw new UserError(msg.policyOutOfRange('staleness', 'threshold', cfg.threshold, `in (0, ${MAX_DRIFT}] (the drift of unit vectors is at most ${MAX_DRIFT})`));
    }
    return cfg;
  },
  run(cfg, { span, driftRef }) {
    const threshold = cfg.threshold ?? driftRef.threshold;
    return {
      gap: span,
      threshold,
      thresholdDerivation: cfg.threshold === undefined ? driftRef.derivation : msg.thresholdGiven(cfg.threshold),
      window: cfg.window,
      driftBudget: threshold,
      tracker: new StalenessTracker(threshold, cfg.window),
      parameters: { threshold, window: cfg.window, gap: span, thresholdSource: cfg.threshold === undefined ? 'margin' : 'given' },
      reason: ({ start, evidence, gapText }) => start !== null
        ? msg.stalenessFired(start, gapText, threshold, cfg.window, evidence.firedAt[0])
        : msg.stalenessNotReached(gapText, threshold, cfg.window, evidence.shortfall!),
    };
  },
};
