import type { TrainConfig } from '../config/train-config.js';
import { memorySpan } from '../config/train-config.js';
import type { DriftRow } from '../io/tables.js';
import { OnlineWarmup } from '../analysis/warmup/online.js';
import { parseWarmupPolicy } from '../analysis/warmup/parse-policy.js';
import { defaultDriftThreshold } from '../analysis/warmup/threshold.js';
import type { WarmupDecision } from '../analysis/warmup/types.js';
import { XbmGuard } from '../analysis/warmup/guard.js';

export type XbmEventKind = 'xbm-start' | 'xbm-pause' | 'xbm-resume' | 'drift-over-threshold' | 'drift-back-under-threshold';
export interface XbmEvent { iteration: number; kind: XbmEventKind; message: string; evidence?: unknown }

/**
 * When XBM is on: a fixed start, or the online warm-up policy deciding from measured drift, and
 * after the start the optional guard that pauses the memory loss while the memory is too stale.
 * Iteration t means "after t steps"; the memory is in use for steps t+1, t+2, ... after a start at t.
 */
export class XbmController {
  readonly span: number; // S = ceil(M / B)
  readonly threshold: number; // drift budget D(t; S) the memory may carry
  private started: number | null = null;
  private paused = false;
  private overThreshold = false;
  private decision: WarmupDecision | null = null;
  private readonly online: OnlineWarmup | null;
  private readonly guard: XbmGuard | null;
  readonly events: XbmEvent[] = [];

  constructor(private readonly config: TrainConfig) {
    this.span = config.xbm.size > 0 ? memorySpan(config) : 0;
    const margin = config.loss.kind === 'multi-similarity' ? config.loss.base : config.loss.margin;
    const ctx = { memorySize: Math.max(1, config.xbm.size), batchSize: config.batchSize, margin, lossKind: config.loss.kind };
    const marginThreshold = defaultDriftThreshold(ctx).threshold;
    const start = config.xbm.start;
    if (start.kind === 'auto') {
      const policy = parseWarmupPolicy(start.policy);
      this.online = new OnlineWarmup(policy, ctx);
      this.threshold = policy.kind === 'staleness' && policy.threshold !== undefined ? policy.threshold : marginThreshold;
    } else {
      this.online = null;
      this.threshold = marginThreshold;
    }
    this.guard = config.xbm.guard && config.xbm.size > 0 ? new XbmGuard(this.threshold) : null;
  }

  get enabled(): boolean {
    return this.config.xbm.size > 0 && this.config.xbm.start.kind !== 'off';
  }
  get startIteration(): number | null {
    return this.started;
  }
  get warmupDecision(): WarmupDecision | null {
    return this.decision;
  }
  get isPaused(): boolean {
    return this.paused;
  }

  /** What the step after iteration t does. */
  flags(): { enqueue: boolean; memoryLoss: boolean } {
    const on = this.started !== null;
    return { enqueue: on, memoryLoss: on && !this.paused };
  }

  /** The gap at which drift must be measured online (warm-up, guard, monitoring), or null. */
  driftGap(): number | null {
    if (!this.enabled) return null;
    return this.online ? this.online.requiredGap() : this.span;
  }

  /** Called at every iteration boundary t; returns true when XBM starts now (a fixed start). */
  startsAt(t: number): boolean {
    const s = this.config.xbm.start;
    if (this.started !== null || s.kind !== 'at' || t !== s.iteration) return false;
    this.start(t, `XBM starts at the fixed iteration ${t}.`);
    return true;
  }

  /** Feed D(t; gap) measured at a snapshot; returns true when XBM starts now (auto policy fired). */
  observeDrift(row: DriftRow): boolean {
    if (!this.enabled) return false;
    if (this.started === null) {
      if (!this.online) return false;
      const d = this.online.observe(row);
      if (!d || d.start === null) return false;
      this.decision = d;
      this.start(row.iteration, `XBM starts at iteration ${row.iteration}: ${d.reason}`, d);
      return true;
    }
    // After the start: keep watching the memory's staleness (the primer: XBM can make drift soar).
    const over = row.mean > this.threshold;
    if (over !== this.overThreshold) {
      this.overThreshold = over;
      this.events.push({
        iteration: row.iteration,
        kind: over ? 'drift-over-threshold' : 'drift-back-under-threshold',
        message: `D(t=${row.iteration}; ${row.gap}) = ${row.mean.toPrecision(3)} is ${over ? 'over' : 'back under'} the threshold ${this.threshold.toPrecision(3)}.`,
        evidence: row,
      });
    }
    if (this.guard) {
      const action = this.guard.observe(row.iteration, row.mean);
      if (action === 'pause' || action === 'resume') {
        this.paused = action === 'pause';
        this.events.push({
          iteration: row.iteration,
          kind: action === 'pause' ? 'xbm-pause' : 'xbm-resume',
          message: `Guard ${action === 'pause' ? 'pauses' : 'resumes'} the memory loss: D(t=${row.iteration}; ${row.gap}) = ${row.mean.toPrecision(3)}, threshold ${this.threshold.toPrecision(3)}.`,
          evidence: row,
        });
      }
    }
    return false;
  }

  /** What run.json records. A resumed run rebuilds this by replaying the drift it measured. */
  state() {
    return { start: this.started, paused: this.paused, threshold: this.threshold, span: this.span, decision: this.decision, events: this.events };
  }

  private start(t: number, message: string, evidence?: unknown): void {
    this.started = t;
    this.events.push({ iteration: t, kind: 'xbm-start', message, evidence });
  }
}
