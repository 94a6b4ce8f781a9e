import type { TrainConfig } from '../config/train-config.js';
import { memorySpan, normaliseTrainConfig } from '../config/train-config.js';
import type { DriftRow, MetricsRow } from '../io/tables.js';
import { similarityScale } from '../losses/registry.js';
import { OnlineWarmup } from '../analysis/warmup/online.js';
import { defaultDriftThreshold } from '../analysis/warmup/threshold.js';
import type { WarmupContext, WarmupDecision } from '../analysis/warmup/types.js';
import type { StartWatch, WatchEvent } from '../analysis/warmup/policies/index.js';
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
  /** the policy's own watch after its start (trial), else null */
  private watch: StartWatch | null = null;
  readonly events: XbmEvent[] = [];

  constructor(private readonly config: TrainConfig) {
    this.span = config.xbm.size > 0 ? memorySpan(config) : 0;
    const ctx = warmupContext(config);
    // normaliseTrainConfig: a config.json from before the config parsed the policy holds it as text.
    const start = normaliseTrainConfig(config).xbm.start;
    this.online = start.kind === 'auto' ? new OnlineWarmup(start.policy, ctx) : null;
    // The drift budget the memory may carry: the policy's (staleness's threshold), else the margin-derived one.
    this.threshold = this.online ? this.online.driftBudget : defaultDriftThreshold(ctx).threshold;
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
  /** Whether the memory loss is paused, by the guard or by the policy's watch. */
  get isPaused(): boolean {
    return this.paused || (this.watch?.paused ?? false);
  }

  /** What the step after iteration t does. A paused memory keeps being filled, so a resume meets fresh entries. */
  flags(): { enqueue: boolean; memoryLoss: boolean } {
    const on = this.started !== null;
    return { enqueue: on, memoryLoss: on && !this.isPaused };
  }

  /** Feed step t's metrics row (after the boundary t was observed): the policy's watch may pause or resume the memory loss. */
  observeStep(row: Pick<MetricsRow, 'iteration' | 'xbm_active' | 'memory_loss'>): void {
    if (!this.watch) return;
    this.record(this.watch.observeStep({ iteration: row.iteration, memoryLossOn: row.xbm_active === 1, memoryLoss: row.memory_loss }));
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
      this.watch = this.online.startWatch(row.iteration);
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

  /** What run.json records. A resumed run rebuilds this by replaying the drift it measured and its metrics rows. */
  state() {
    return { start: this.started, paused: this.isPaused, threshold: this.threshold, span: this.span, decision: this.decision, events: this.events };
  }

  private record(e: WatchEvent | null): void {
    if (e) this.events.push({ iteration: e.iteration, kind: e.action === 'pause' ? 'xbm-pause' : 'xbm-resume', message: e.message });
  }

  private start(t: number, message: string, evidence?: unknown): void {
    this.started = t;
    this.events.push({ iteration: t, kind: 'xbm-start', message, evidence });
  }
}

/** What the warm-up policies need to know about a run: M, B and the loss's similarity scale. */
export function warmupContext(config: Pick<TrainConfig, 'xbm' | 'batchSize' | 'loss'>): WarmupContext {
  return {
    memorySize: Math.max(1, config.xbm.size),
    batchSize: config.batchSize,
    margin: similarityScale(config.loss),
    lossKind: config.loss.kind,
  };
}
