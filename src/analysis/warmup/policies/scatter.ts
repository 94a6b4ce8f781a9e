import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import type { DriftPoint, WarmupShortfall } from '../../../io/formats/start-decision.js';
import { integerAtLeast, parameterKeys, parseKeyValues, type WarmupPolicy } from './policy.js';
import { ScaledDriftTracker } from './scaled-drift-tracker.js';

/**
 * Start once the drift over the memory span is no larger than the embedding's own within-class
 * scatter, D(t; S) <= ratio * W(t), while the classes are separated, B(t) > W(t), for `window`
 * consecutive snapshots. The threshold is measured from the embedding, not a fraction of the margin.
 *
 * Why D <= W: a stale entry sits about sqrt(D) from where a fresh embedding of its sample would be;
 * a fresh sample of its class sits about sqrt(W) from the class centre (W is the pooled variance,
 * drift-stats.ts probeScatter). With D <= W the stale entry is about sqrt(W + D) <= sqrt(2W) from
 * its centre: to the loss, an ordinary member of its class. ratio 1 is that principle.
 * Why B > W: before the embedding has class structure W is large, so D <= W is easy and means nothing.
 */
export interface ScatterConfig {
  kind: 'scatter';
  ratio: number;
  window: number;
}

/**
 * Both conditions at one snapshot. Written as comparisons, not ratios, so W = 0 (every class a
 * point) needs D = 0, and a NaN anywhere (W, B not measured, or a diverged embedding) fails.
 */
export function scatterHolds(p: DriftPoint, ratio: number): boolean {
  const w = p.scatterWithin ?? NaN;
  const b = p.scatterBetween ?? NaN;
  return Number.isFinite(p.drift) && Number.isFinite(w) && Number.isFinite(b) && p.drift <= ratio * w && b > w;
}

/** scatterHolds over snapshots (scaled-drift-tracker.ts); the shortfall adds the separation B/W. */
export class ScatterTracker extends ScaledDriftTracker {
  constructor(ratio: number, window: number) {
    super(ratio, window, {
      of: (p) => p.scatterWithin ?? NaN,
      measured: (p) => Number.isFinite(p.scatterWithin ?? NaN) && Number.isFinite(p.scatterBetween ?? NaN),
      holds: scatterHolds,
    });
  }

  /** lastValue is D/W at the last snapshot (NaN when W was not measured), separation B/W. */
  override shortfall(): WarmupShortfall {
    const p = this.last;
    return { ...super.shortfall(), separation: p === null ? null : (p.scatterBetween ?? NaN) / (p.scatterWithin ?? NaN) };
  }
}

/**
 * ratio 1 is the principle itself (a stale entry no farther from its fresh position than a fresh
 * sample from its class centre), not a value fitted to any run; window 3 as staleness.
 */
const DEFAULTS = { ratio: 1, window: 3 } as const;

export const scatter: WarmupPolicy<ScatterConfig> = {
  kind: 'scatter',
  usage: 'scatter',
  defaults: DEFAULTS,
  parameters: [
    { key: 'ratio', describe: `D(t; S) / W(t) at or below which the memory counts as fresh (default ${DEFAULTS.ratio})` },
    { key: 'window', describe: `consecutive snapshots (default ${DEFAULTS.window})` },
  ],
  parse(rest) {
    const values = parseKeyValues('scatter', rest, parameterKeys(scatter.parameters));
    return scatter.validate({ kind: 'scatter', ratio: values.ratio ?? DEFAULTS.ratio, window: values.window ?? DEFAULTS.window });
  },
  validate(cfg) {
    if (!(cfg.ratio > 0 && Number.isFinite(cfg.ratio))) {
      throw new UserError(msg.policyOutOfRange('scatter', 'ratio', cfg.ratio, 'a positive finite number'));
    }
    integerAtLeast('scatter', 'window', cfg.window, 1);
    return cfg;
  },
  run(cfg, { span, driftRef }) {
    const tracker = new ScatterTracker(cfg.ratio, cfg.window);
    return {
      gap: span,
      threshold: cfg.ratio,
      thresholdDerivation: msg.scatterDerivation(cfg.ratio, cfg.ratio === DEFAULTS.ratio),
      window: cfg.window,
      // The guard's constant budget after the start: the margin-derived one, as for plateau.
      driftBudget: driftRef.threshold,
      tracker,
      reads: ['scatter_within', 'scatter_between'],
      parameters: { ratio: cfg.ratio, window: cfg.window, gap: span },
      reason: ({ start, evidence, points, gapText }) => {
        if (start === null) return msg.scatterNotReached(gapText, cfg.ratio, cfg.window, evidence.shortfall!);
        const at = points.find((p) => p.iteration === start)!;
        return msg.scatterFired(start, gapText, cfg.ratio, cfg.window, evidence.firedAt[0], at.drift / at.scatterWithin!, at.scatterBetween! / at.scatterWithin!);
      },
    };
  },
};
