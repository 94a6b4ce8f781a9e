import type { DriftPoint, WarmupShortfall } from '../../../io/formats/start-decision.js';
import type { PolicyTracker } from './policy.js';

/** What a policy that compares the drift with ratio x a scale measured per snapshot reads of a point. */
export interface DriftScale {
  /** the scale the drift is compared with (scatter: W(t); trial: P(t)); NaN when not measured */
  of(p: DriftPoint): number;
  /** whether the point carries every column the policy reads (counted as unmeasured otherwise) */
  measured(p: DriftPoint): boolean;
  /** whether the policy's condition holds at the point (written as comparisons, so NaN fails) */
  holds(p: DriftPoint, ratio: number): boolean;
}

/**
 * Fires at the last snapshot of the first `window` consecutive evaluated snapshots at which the
 * policy's condition holds; any other snapshot restarts the count. The shortfall's values are
 * D / scale (scatter's D/W, trial's D/P). Shared by the policies that scale the drift.
 */
export class ScaledDriftTracker implements PolicyTracker {
  private run: number[] = [];
  protected last: DriftPoint | null = null;
  private best: { iteration: number; value: number } | null = null;
  private unmeasured = 0;

  constructor(readonly ratio: number, readonly window: number, private readonly scale: DriftScale) {}

  step(point: DriftPoint): number[] | null {
    this.last = point;
    if (!this.scale.measured(point)) this.unmeasured++;
    const v = point.drift / this.scale.of(point);
    if (Number.isFinite(v) && (this.best === null || v < this.best.value)) this.best = { iteration: point.iteration, value: v };
    if (this.scale.holds(point, this.ratio)) this.run.push(point.iteration);
    else this.run = [];
    return this.run.length >= this.window ? this.run.slice(-this.window) : null;
  }

  /** lastValue is D / scale at the last snapshot (NaN when the scale was not measured). */
  shortfall(): WarmupShortfall {
    const p = this.last;
    const v = p === null ? null : p.drift / this.scale.of(p);
    return {
      lastIteration: p?.iteration ?? null,
      lastValue: v,
      target: this.ratio,
      excess: v === null ? null : v - this.ratio,
      ratio: v === null ? null : v / this.ratio,
      consecutive: this.run.length,
      window: this.window,
      best: this.best && { ...this.best },
      unmeasured: this.unmeasured,
    };
  }
}
