import type { DriftPoint, WarmupShortfall } from './types.js';

/** Feeds one snapshot's drift at a time; says when a policy fires. */
export interface PolicyTracker {
  /** The snapshot iterations of the window that fired (start = the last), or null. */
  step(point: DriftPoint): number[] | null;
  shortfall(): WarmupShortfall;
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
