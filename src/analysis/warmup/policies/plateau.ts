import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import type { DriftPoint, WarmupShortfall } from '../../../io/formats/start-decision.js';
import { integerAtLeast, parameterKeys, parseKeyValues, type PolicyTracker, type WarmupPolicy } from './policy.js';

/** Start once the drift curve at `gap` (default S) changes by at most `relativeChange` over `window` snapshots. */
export interface PlateauConfig {
  kind: 'plateau';
  relativeChange: number;
  window: number;
  gap?: number;
}

/**
 * (max - min) / mean of a window of drift values: 0 for a flat curve. An all-zero window is
 * flat (0); a non-finite value makes the change infinite.
 */
export function relativeChange(values: readonly number[]): number {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) return Infinity;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  if (max === min) return 0;
  return (max - min) / (sum / values.length);
}

/**
 * Plateau: fires at the last snapshot of the first window of `window` consecutive snapshots whose
 * relative change (max - min) / mean is at or below `relativeChange`. It says the drift curve has
 * flattened, not that it is low: the lab saw drift plateau at 0.1-0.3 under a constant lr, where
 * XBM collapsed, so the decision also reports the level against the margin-derived threshold.
 */
export class PlateauTracker implements PolicyTracker {
  private points: DriftPoint[] = [];
  readonly changes: { iteration: number; value: number }[] = [];

  constructor(readonly target: number, readonly window: number) {}

  step(point: DriftPoint): number[] | null {
    this.points.push(point);
    if (this.points.length < this.window) return null;
    const w = this.points.slice(-this.window);
    const value = relativeChange(w.map((p) => p.drift));
    this.changes.push({ iteration: point.iteration, value });
    return value <= this.target ? w.map((p) => p.iteration) : null;
  }

  shortfall(): WarmupShortfall {
    const last = this.changes.at(-1) ?? null;
    let best: { iteration: number; value: number } | null = null;
    for (const c of this.changes) if (Number.isFinite(c.value) && (best === null || c.value < best.value)) best = c;
    return {
      lastIteration: last?.iteration ?? this.points.at(-1)?.iteration ?? null,
      lastValue: last?.value ?? null,
      target: this.target,
      excess: last === null ? null : last.value - this.target,
      ratio: last === null ? null : last.value / this.target,
      consecutive: Math.min(this.points.length, this.window),
      window: this.window,
      best: best && { ...best },
    };
  }
}

const DEFAULTS = { relativeChange: 0.1, window: 3 } as const;
// Accepted spellings of relativeChange on the command line.
const ALIASES: Readonly<Record<string, string>> = { 'relative-change': 'relativeChange', relativechange: 'relativeChange', r: 'relativeChange' };

export const plateau: WarmupPolicy<PlateauConfig> = {
  kind: 'plateau',
  usage: 'plateau',
  defaults: DEFAULTS,
  parameters: [
    { key: 'relativeChange', describe: `the largest (max - min) / mean of the drift over the window (default ${DEFAULTS.relativeChange})` },
    { key: 'window', describe: `consecutive snapshots (default ${DEFAULTS.window})` },
    { key: 'gap', describe: 'the gap whose drift curve is read (default S)' },
  ],
  parse(rest) {
    const values = parseKeyValues('plateau', rest, parameterKeys(plateau.parameters), ALIASES);
    return plateau.validate({
      kind: 'plateau',
      relativeChange: values.relativeChange ?? DEFAULTS.relativeChange,
      window: values.window ?? DEFAULTS.window,
      ...(values.gap !== undefined ? { gap: values.gap } : {}),
    });
  },
  validate(cfg) {
    if (!(cfg.relativeChange > 0 && cfg.relativeChange <= 1)) {
      throw new UserError(msg.policyOutOfRange('plateau', 'relativeChange', cfg.relativeChange, 'in (0, 1]'));
    }
    integerAtLeast('plateau', 'window', cfg.window, 2);
    if (cfg.gap !== undefined) integerAtLeast('plateau', 'gap', cfg.gap, 1);
    return cfg;
  },
  run(cfg, { span, driftRef }) {
    const gap = cfg.gap ?? span;
    const tracker = new PlateauTracker(cfg.relativeChange, cfg.window);
    return {
      gap,
      threshold: cfg.relativeChange,
      thresholdDerivation: msg.plateauTargetDerivation(cfg.relativeChange, cfg.window),
      window: cfg.window,
      driftBudget: driftRef.threshold,
      tracker,
      parameters: { relativeChange: cfg.relativeChange, window: cfg.window, gap },
      extraEvidence: () => ({ relativeChanges: tracker.changes.map((c) => ({ ...c })) }),
      reason: ({ start, evidence, points, gapText }) => {
        if (start === null) return msg.plateauNotReached(gapText, cfg.relativeChange, cfg.window, evidence.shortfall!);
        const level = points.find((p) => p.iteration === start)!.drift;
        return msg.plateauFired(start, gapText, cfg.relativeChange, cfg.window, level, evidence.driftThreshold);
      },
    };
  },
};
