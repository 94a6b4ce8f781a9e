import { UserError } from '../../errors.js';
import type { DriftRow } from '../../io/tables.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { driftPoint, GAP_LOOKUP } from './drift-at-gap.js';
import { validateWarmupPolicy } from './parse-policy.js';
import { warmupPolicy, type PolicyRun, type StartWatch } from './policies/index.js';
import { defaultDriftThreshold, memorySpan } from './threshold.js';
import type { DriftPoint, WarmupContext, WarmupDecision, WarmupEvidence, WarmupPolicyConfig } from './types.js';

/**
 * The warm-up decision, one snapshot at a time: the trainer calls observe() with the drift row
 * it measured at each snapshot, and decideWarmup() replays a whole drift.csv through the same
 * object, so online and offline decisions cannot disagree. What each policy does lives in its own
 * file under policies/; this class only feeds it rows and assembles the decision.
 *
 * Rows must come in iteration order. At each iteration the first row with gap >= requiredGap()
 * is used and later rows of that iteration are ignored; pass rows of one iteration in ascending
 * gap order (decideWarmup does) so that this is the smallest such gap (see drift-at-gap.ts).
 * Rows with a smaller gap, or an iteration already evaluated, are ignored.
 */
export class OnlineWarmup {
  readonly span: number;
  private readonly run: PolicyRun;
  private readonly driftRef: ReturnType<typeof defaultDriftThreshold>;
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
    this.run = warmupPolicy(cfg.kind).run(cfg, { span: this.span, driftRef: this.driftRef });
  }

  /**
   * The gap the policy needs drift at: S = ceil(M/B) for staleness, plateau's gap (default S).
   * fixed needs none; S is returned so drift at the memory span can still be recorded.
   */
  requiredGap(): number {
    return this.run.gap;
  }

  /** Whether the policy decides from drift (false for fixed). */
  get readsDrift(): boolean {
    return this.run.tracker !== null;
  }

  /** Optional drift.csv columns the policy reads besides the drift (none for most). */
  get reads(): readonly (keyof DriftRow)[] {
    return this.run.reads ?? [];
  }

  /** Consecutive snapshots the policy needs; null when it reads no drift. */
  get window(): number | null {
    return this.run.window;
  }

  /**
   * The drift D(t; S) the memory may carry once XBM is on: staleness's threshold, else the
   * margin-derived one. XbmController's monitor and guard use it.
   */
  get driftBudget(): number {
    return this.run.driftBudget;
  }

  /** The policy's watch over a memory started at `start` (trial), or null when the start is final. */
  startWatch(start: number): StartWatch | null {
    return this.run.watch?.(start) ?? null;
  }

  /** The decision once fired (kept from then on), else null. */
  get decision(): WarmupDecision | null {
    return this.fired;
  }

  /** Feed one drift row; returns the decision from the snapshot at which the policy fires on. */
  observe(row: DriftRow): WarmupDecision | null {
    if (this.fired) return this.fired;
    const startAt = this.run.startAt;
    // A start known in advance records only drift from before it, so the row order at the start cannot matter.
    const record = startAt === undefined || row.iteration < startAt;
    if (record && row.gap >= this.run.gap && row.iteration > this.lastIteration) {
      this.lastIteration = row.iteration;
      const point = driftPoint(row);
      this.points.push(point);
      const window = this.run.tracker?.step(point) ?? null;
      if (window) this.fired = this.build(window.at(-1)!, window);
    }
    if (!this.fired && startAt !== undefined && row.iteration >= startAt) this.fired = this.build(startAt, [startAt]);
    return this.fired;
  }

  /** The fired decision, or a start-null decision saying how far the policy still is. */
  current(): WarmupDecision {
    return this.fired ?? this.build(null, []);
  }

  /**
   * The decision at the end of the data (offline): as current(), except that a start known in
   * advance (fixed) is taken even when no row reached it, since it never depended on the data.
   */
  conclude(): WarmupDecision {
    const startAt = this.run.startAt;
    if (!this.fired && startAt !== undefined) return this.build(startAt, [startAt]);
    return this.current();
  }

  private build(start: number | null, firedAt: number[]): WarmupDecision {
    const run = this.run;
    const shortfall = start === null && run.tracker ? run.tracker.shortfall() : null;
    const evidence: WarmupEvidence = {
      memorySpan: this.span,
      memorySize: this.ctx.memorySize,
      batchSize: this.ctx.batchSize,
      gap: run.gap,
      gapLookup: GAP_LOOKUP,
      gapsUsed: [...new Set(this.points.map((p) => p.gap))].sort((a, b) => a - b),
      threshold: run.threshold,
      thresholdDerivation: run.thresholdDerivation,
      driftThreshold: this.driftRef.threshold,
      driftThresholdDerivation: this.driftRef.derivation,
      window: run.window,
      drift: this.points.map((p) => ({ ...p })),
      ...(run.extraEvidence?.() ?? {}),
      firedAt,
      shortfall,
    };
    const gapText = msg.gapText(run.gap, this.span, evidence.gapsUsed);
    const reason = run.reason({ start, evidence, points: this.points, gapText });
    return { start, policy: this.cfg.kind, parameters: { ...run.parameters }, evidence, reason };
  }
}
