import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import type { DriftPoint } from '../../../io/formats/start-decision.js';
import { COLLAPSE_THRESHOLDS } from '../../collapse.js';
import { integerAtLeast, parameterKeys, parseKeyValues, type StartWatch, type WarmupPolicy, type WatchEvent, type WatchStep } from './policy.js';
import { ScaledDriftTracker } from './scaled-drift-tracker.js';

/**
 * A trial start: switch the memory on as soon as the evidence allows, then watch it and take its
 * loss away while it misleads, retrying with back-off. The XBM study found every failure of the
 * drift-level policies to be a late or missing start, and no run with a start collapsed; so this
 * policy starts early and relies on undoing a bad start rather than on waiting for slow drift.
 *
 * Start: at the first snapshot (t >= S, since D(t; S) needs S steps of history) at which
 * D(t; S) < ratio * P(t), P the mean squared distance between two different probe samples. With
 * ratio 1 this is the principle: a stored entry is closer to its own sample's current embedding
 * than two different samples are to each other, so the memory still identifies its samples. It
 * reads no labels, so it works with any number of classes (scatter needs two probe images per class).
 * One snapshot suffices (window 1): a start that turns out badly is paused by the watch.
 *
 * Watch, after the start (training only): the memory-loss collapse signal of analysis/collapse.ts,
 * read while it can still be acted on: the memory loss above memoryLossFactor x its reference (the
 * median of the first memoryLossReferenceSteps steps with the memory loss on since the start or
 * the last resume), or not finite. It pauses the memory loss (the memory keeps being filled); the
 * k-th pause lasts S * 2^(k-1) steps: S steps refill the whole memory with the current model's
 * features, and doubling keeps the share of steps spent on failing trials bounded whatever the
 * number of retries (exponential back-off). The drift is not a watch signal: from scratch at a
 * constant lr, D(t; S) exceeds the collapse monitor's bound of 1 without any memory (1.25-1.49 at
 * S = 47 in scratch-64), so it would pause healthy runs; the memory loss is XBM's own signal.
 */
export interface TrialConfig {
  kind: 'trial';
  ratio: number;
  window: number;
}

/** D(t; S) < ratio x P(t), written as a comparison so a NaN anywhere fails. */
export function trialHolds(p: DriftPoint, ratio: number): boolean {
  const spread = p.spread ?? NaN;
  return Number.isFinite(p.drift) && Number.isFinite(spread) && p.drift < ratio * spread;
}

/** trialHolds over snapshots (scaled-drift-tracker.ts): the shortfall's values are D/P. */
export class TrialTracker extends ScaledDriftTracker {
  constructor(ratio: number, window: number) {
    super(ratio, window, { of: (p) => p.spread ?? NaN, measured: (p) => Number.isFinite(p.spread ?? NaN), holds: trialHolds });
  }
}

/** The trial's watch after the start: pause on the memory-loss collapse signal, retry after S * 2^(k-1) steps. */
export class TrialWatch implements StartWatch {
  private pauses = 0;
  private resumeAt: number | null = null;
  private window: number[] = [];
  private reference: number | null = null;

  constructor(readonly span: number, readonly start: number, private readonly limits = COLLAPSE_THRESHOLDS) {}

  get paused(): boolean {
    return this.resumeAt !== null;
  }

  observeStep(row: WatchStep): WatchEvent | null {
    if (row.iteration <= this.start) return null;
    if (this.resumeAt !== null) {
      if (row.iteration < this.resumeAt) return null;
      this.resumeAt = null;
      this.window = [];
      this.reference = null;
      return { iteration: row.iteration, action: 'resume', message: msg.trialResume(row.iteration, this.pauses) };
    }
    if (!row.memoryLossOn) return null;
    if (!Number.isFinite(row.memoryLoss)) return this.pause(row.iteration, msg.trialNonFinite(row.iteration, row.memoryLoss));
    if (this.reference === null) {
      this.window.push(row.memoryLoss);
      if (this.window.length === this.limits.memoryLossReferenceSteps) this.reference = median(this.window);
      return null;
    }
    const bound = this.limits.memoryLossFactor * this.reference;
    if (this.reference > 0 && row.memoryLoss > bound) return this.pause(row.iteration, msg.trialLossPause(row.iteration, row.memoryLoss, this.reference, this.limits.memoryLossFactor));
    return null;
  }

  private pause(iteration: number, why: string): WatchEvent {
    this.pauses++;
    const length = this.span * 2 ** (this.pauses - 1);
    this.resumeAt = iteration + length;
    return { iteration, action: 'pause', message: msg.trialPause(why, this.pauses, length, this.resumeAt) };
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** ratio 1 is the principle itself (closer to its own sample than to another sample), window 1 since a bad start is undone. */
const DEFAULTS = { ratio: 1, window: 1 } as const;

export const trial: WarmupPolicy<TrialConfig> = {
  kind: 'trial',
  usage: 'trial',
  defaults: DEFAULTS,
  parameters: [
    { key: 'ratio', describe: `start once D(t; S) < ratio x P(t), P the probe's mean squared distance between two samples (default ${DEFAULTS.ratio})` },
    { key: 'window', describe: `consecutive snapshots (default ${DEFAULTS.window})` },
  ],
  parse(rest) {
    const values = parseKeyValues('trial', rest, parameterKeys(trial.parameters));
    return trial.validate({ kind: 'trial', ratio: values.ratio ?? DEFAULTS.ratio, window: values.window ?? DEFAULTS.window });
  },
  validate(cfg) {
    if (!(cfg.ratio > 0 && Number.isFinite(cfg.ratio))) throw new UserError(msg.policyOutOfRange('trial', 'ratio', cfg.ratio, 'a positive finite number'));
    integerAtLeast('trial', 'window', cfg.window, 1);
    return cfg;
  },
  run(cfg, { span, driftRef }) {
    return {
      gap: span,
      threshold: cfg.ratio,
      thresholdDerivation: msg.trialDerivation(cfg.ratio, cfg.ratio === DEFAULTS.ratio),
      window: cfg.window,
      driftBudget: driftRef.threshold,
      tracker: new TrialTracker(cfg.ratio, cfg.window),
      reads: ['probe_spread'],
      watch: (start) => new TrialWatch(span, start),
      parameters: { ratio: cfg.ratio, window: cfg.window, gap: span },
      reason: ({ start, evidence, points, gapText }) => {
        if (start === null) return msg.trialNotReached(gapText, cfg.ratio, cfg.window, evidence.shortfall!);
        const at = points.find((p) => p.iteration === start)!;
        return msg.trialFired(start, gapText, cfg.ratio, at.drift, at.spread!);
      },
    };
  },
};
