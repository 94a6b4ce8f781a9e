import { UserError } from '../../errors.js';
import type { DriftRow } from '../../io/tables.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { GAP_LOOKUP } from './drift-at-gap.js';
import { fixedStartReached } from './fixed.js';
import { validateWarmupPolicy } from './parse-policy.js';
import { PlateauTracker } from './plateau.js';
import { StalenessTracker, type PolicyTracker } from './staleness.js';
import { defaultDriftThreshold, memorySpan } from './threshold.js';
import type { DriftPoint, WarmupContext, WarmupDecision, WarmupEvidence, WarmupPolicyConfig } from './types.js';

/**
 * The warm-up decision, one snapshot at a time: the trainer calls observe() with the drift row
 * it measured at each snapshot, and decideWarmup() replays a whole drift.csv through the same
 * object, so online and offline decisions cannot disagree.
 *
 * Rows must come in iteration order. At each iteration the first row with gap >= requiredGap()
 * is used and later rows of that iteration are ignored; pass rows of one iteration in ascending
 * gap order (decideWarmup does) so that this is the smallest such gap (see drift-at-gap.ts).
 * Rows with a smaller gap, or an iteration already evaluated, are ignored.
 */
export class OnlineWarmup {
  readonly span: number;
  private readonly gap: number;
  private readonly tracker: PolicyTracker | null;
  private readonly driftRef: ReturnType<typeof defaultDriftThreshold>;
  private readonly threshold: number | null;
  private readonly thresholdDerivation: string;
  private readonly points: DriftPoint[] = [];
  private lastIteration = -Infinity;
  private fired: WarmupDecision | null = null;

  constructor(readonly cfg: WarmupPolicyConfig, readonly ctx: WarmupContext) {
    validateWarmupPolicy(cfg);
    for (const [name, v] of [['memory size', ctx.memorySize], ['batch size', ctx.batchSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new UserError(msg.badContextSize(name, v));
    }
    this.span = memorySpan(ctx.memorySize, ctx.batchSize);
    this.driftRef = defaultDriftThreshold(ctx);
    switch (cfg.kind) {
      case 'staleness':
        this.gap = this.span;
        this.threshold = cfg.threshold ?? this.driftRef.threshold;
        this.thresholdDerivation = cfg.threshold === undefined ? this.driftRef.derivation : msg.thresholdGiven(cfg.threshold);
        this.tracker = new StalenessTracker(this.threshold, cfg.window);
        break;
      case 'plateau':
        this.gap = cfg.gap ?? this.span;
        this.threshold = cfg.relativeChange;
        this.thresholdDerivation = msg.plateauTargetDerivation(cfg.relativeChange, cfg.window);
        this.tracker = new PlateauTracker(cfg.relativeChange, cfg.window);
        break;
      case 'fixed':
        this.gap = this.span;
        this.threshold = null;
        this.thresholdDerivation = msg.fixedNoThreshold;
        this.tracker = null;
        break;
    }
  }

  /**
   * The gap the policy needs drift at: S = ceil(M/B) for staleness, plateau's gap (default S).
   * fixed needs none; S is returned so drift at the memory span can still be recorded.
   */
  requiredGap(): number {
    return this.gap;
  }

  /** The decision once fired (kept from then on), else null. */
  get decision(): WarmupDecision | null {
    return this.fired;
  }

  /** Feed one drift row; returns the decision from the snapshot at which the policy fires on. */
  observe(row: DriftRow): WarmupDecision | null {
    if (this.fired) return this.fired;
    // fixed records only drift from before its start, so the row order at the start cannot matter.
    const record = this.cfg.kind !== 'fixed' || row.iteration < this.cfg.start;
    if (record && row.gap >= this.gap && row.iteration > this.lastIteration) {
      this.lastIteration = row.iteration;
      const point = { iteration: row.iteration, gap: row.gap, drift: row.mean };
      this.points.push(point);
      const window = this.tracker?.step(point) ?? null;
      if (window) this.fired = this.build(window.at(-1)!, window);
    }
    if (this.cfg.kind === 'fixed' && fixedStartReached(row.iteration, this.cfg.start)) {
      this.fired = this.build(this.cfg.start, [this.cfg.start]);
    }
    return this.fired;
  }

  /** The fired decision, or a start-null decision saying how far the policy still is. */
  current(): WarmupDecision {
    return this.fired ?? this.build(null, []);
  }

  /**
   * The decision at the end of the data (offline): as current(), except that fixed starts at its
   * iteration even when no row reached it, since it never depended on the data.
   */
  conclude(): WarmupDecision {
    if (!this.fired && this.cfg.kind === 'fixed') return this.build(this.cfg.start, [this.cfg.start]);
    return this.current();
  }

  private build(start: number | null, firedAt: number[]): WarmupDecision {
    const cfg = this.cfg;
    const shortfall = start === null && this.tracker ? this.tracker.shortfall() : null;
    const evidence: WarmupEvidence = {
      memorySpan: this.span,
      memorySize: this.ctx.memorySize,
      batchSize: this.ctx.batchSize,
      gap: this.gap,
      gapLookup: GAP_LOOKUP,
      gapsUsed: [...new Set(this.points.map((p) => p.gap))].sort((a, b) => a - b),
      threshold: this.threshold,
      thresholdDerivation: this.thresholdDerivation,
      driftThreshold: this.driftRef.threshold,
      driftThresholdDerivation: this.driftRef.derivation,
      window: cfg.kind === 'fixed' ? null : cfg.window,
      drift: this.points.map((p) => ({ ...p })),
      ...(this.tracker instanceof PlateauTracker ? { relativeChanges: this.tracker.changes.map((c) => ({ ...c })) } : {}),
      firedAt,
      shortfall,
    };
    return { start, policy: cfg.kind, parameters: this.parameters(), evidence, reason: this.reason(start, evidence) };
  }

  private parameters(): Record<string, number | string> {
    const cfg = this.cfg;
    switch (cfg.kind) {
      case 'staleness':
        return {
          threshold: this.threshold!, window: cfg.window, gap: this.gap,
          thresholdSource: cfg.threshold === undefined ? 'margin' : 'given',
        };
      case 'plateau':
        return { relativeChange: cfg.relativeChange, window: cfg.window, gap: this.gap };
      case 'fixed':
        return { start: cfg.start };
    }
  }

  private reason(start: number | null, e: WarmupEvidence): string {
    const cfg = this.cfg;
    const gapText = msg.gapText(this.gap, this.span, e.gapsUsed);
    if (cfg.kind === 'fixed') {
      const at = this.points.at(-1) ?? null;
      return msg.fixedReason(cfg.start, gapText, at, e.driftThreshold);
    }
    const s = e.shortfall;
    if (cfg.kind === 'staleness') {
      return start !== null
        ? msg.stalenessFired(start, gapText, this.threshold!, cfg.window, e.firedAt[0])
        : msg.stalenessNotReached(gapText, this.threshold!, cfg.window, s!);
    }
    const level = start === null ? null : this.points.find((p) => p.iteration === start)!.drift;
    return start !== null
      ? msg.plateauFired(start, gapText, cfg.relativeChange, cfg.window, level!, e.driftThreshold)
      : msg.plateauNotReached(gapText, cfg.relativeChange, cfg.window, s!);
  }
}
