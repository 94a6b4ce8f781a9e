import { UserError } from '../../errors.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { MAX_DRIFT } from './parse-policy.js';

export interface XbmGuardOptions {
  /** Pause when D(t; S) > pauseFactor * threshold; default 4 (typical similarity error doubles). */
  pauseFactor?: number;
  /** Consecutive observations above the pause bound before pausing; default 1. */
  pausePatience?: number;
  /** Consecutive observations at or below the threshold before resuming; default 2. */
  resumeWindow?: number;
  /** Start paused (e.g. the guard is created before XBM is switched on); default false. */
  startPaused?: boolean;
}

export const GUARD_DEFAULTS = { pauseFactor: 4, pausePatience: 1, resumeWindow: 2 } as const;

export interface GuardEvent {
  iteration: number;
  action: 'pause' | 'resume';
  /** D(t; S) at this observation. */
  driftS: number;
  /** The bound crossed: pauseFactor * threshold for a pause, threshold for a resume. */
  bound: number;
  /** The drift values that led to the event, oldest first. */
  evidence: { iteration: number; driftS: number }[];
  reason: string;
}

/**
 * Switches the memory loss off while the memory is stale and on again when it is fresh, since
 * the lab saw XBM itself make features drift fast (D(t; 100) of 1-3 against 0.02 without it).
 *
 * Hysteresis: pause when D(t; S) exceeds pauseFactor * threshold for pausePatience consecutive
 * observations; resume when it is at or below threshold for resumeWindow consecutive
 * observations. Between the two bounds the state stays as it is and both counts restart, so
 * drift hovering near one bound cannot make the memory flap. With the default factor 4 the guard
 * pauses once the typical similarity error sqrt(D) is twice what the threshold allows
 * (sqrt(4 D) = 2 sqrt(D)), and resumes only when it is back within the budget. NaN observations
 * (not measured) are ignored.
 */
export class XbmGuard {
  readonly pauseBound: number;
  readonly pausePatience: number;
  readonly resumeWindow: number;
  private isPaused: boolean;
  private above: { iteration: number; driftS: number }[] = [];
  private below: { iteration: number; driftS: number }[] = [];
  private readonly log: GuardEvent[] = [];

  constructor(readonly threshold: number, opts: XbmGuardOptions = {}) {
    const factor = opts.pauseFactor ?? GUARD_DEFAULTS.pauseFactor;
    this.pausePatience = opts.pausePatience ?? GUARD_DEFAULTS.pausePatience;
    this.resumeWindow = opts.resumeWindow ?? GUARD_DEFAULTS.resumeWindow;
    if (!(threshold > 0 && threshold <= MAX_DRIFT)) throw new UserError(msg.guardOutOfRange('threshold', threshold, `in (0, ${MAX_DRIFT}]`));
    if (!(factor >= 1 && Number.isFinite(factor))) throw new UserError(msg.guardOutOfRange('pauseFactor', factor, 'a number >= 1'));
    for (const [k, v] of [['pausePatience', this.pausePatience], ['resumeWindow', this.resumeWindow]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new UserError(msg.guardOutOfRange(k, v, 'an integer >= 1'));
    }
    this.pauseBound = factor * threshold;
    this.isPaused = opts.startPaused ?? false;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get events(): readonly GuardEvent[] {
    return this.log;
  }

  /** Feed D(t; S) measured at `iteration`; returns the transition it causes, if any. */
  observe(iteration: number, driftS: number): 'pause' | 'resume' | null {
    if (Number.isNaN(driftS)) return null;
    const obs = { iteration, driftS };
    if (driftS > this.pauseBound) {
      this.above.push(obs);
      this.below = [];
    } else if (driftS <= this.threshold) {
      this.below.push(obs);
      this.above = [];
    } else {
      this.above = [];
      this.below = [];
    }
    if (!this.isPaused && this.above.length >= this.pausePatience) {
      this.isPaused = true;
      this.record('pause', obs, this.pauseBound, this.above);
      return 'pause';
    }
    if (this.isPaused && this.below.length >= this.resumeWindow) {
      this.isPaused = false;
      this.record('resume', obs, this.threshold, this.below);
      return 'resume';
    }
    return null;
  }

  private record(action: 'pause' | 'resume', obs: { iteration: number; driftS: number }, bound: number, run: { iteration: number; driftS: number }[]): void {
    const evidence = run.slice(-(action === 'pause' ? this.pausePatience : this.resumeWindow));
    const reason = action === 'pause'
      ? msg.guardPause(obs.iteration, obs.driftS, bound, evidence.length)
      : msg.guardResume(obs.iteration, obs.driftS, bound, evidence.length);
    this.log.push({ iteration: obs.iteration, action, driftS: obs.driftS, bound, evidence, reason });
    this.above = [];
    this.below = [];
  }
}
