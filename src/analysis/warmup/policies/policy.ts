import { UserError } from '../../../errors.js';
import { analysisMessages as msg } from '../../../messages/analysis.js';
import type { DriftRow } from '../../../io/tables.js';
import type { DriftPoint, WarmupEvidence, WarmupShortfall } from '../../../io/formats/start-decision.js';

/** Mean squared distance of unit vectors lies in [0, 4]. */
export const MAX_DRIFT = 4;

/** One parameter of a policy: its key in the spec and in the config, and one line for --help. */
export interface PolicyParameter {
  readonly key: string;
  readonly describe: string;
}

/** The keys of a policy's parameters, for its parser. */
export const parameterKeys = (parameters: readonly PolicyParameter[]) => parameters.map((p) => p.key);

/** Feeds one snapshot's drift at a time; says when a policy fires. */
export interface PolicyTracker {
  /** The snapshot iterations of the window that fired (start = the last), or null. */
  step(point: DriftPoint): number[] | null;
  shortfall(): WarmupShortfall;
}

/** What a watch reads of one training step (a metrics row). */
export interface WatchStep {
  iteration: number;
  /** whether this step counted the memory loss */
  memoryLossOn: boolean;
  memoryLoss: number;
}

/** A pause or resume of the memory loss decided by a watch, effective from the next step. */
export interface WatchEvent {
  iteration: number;
  action: 'pause' | 'resume';
  message: string;
}

/** Watches a started memory through the signals of the training itself: step t's row, in iteration order. */
export interface StartWatch {
  readonly paused: boolean;
  observeStep(row: WatchStep): WatchEvent | null;
}

/** What a policy is given to set itself up for one run. */
export interface PolicyEnv {
  /** S = ceil(M / B). */
  span: number;
  /** The margin-derived drift threshold (threshold.ts) and how it was derived. */
  driftRef: { threshold: number; derivation: string };
}

/** What the reason text may draw on. */
export interface ReasonInput {
  start: number | null;
  evidence: WarmupEvidence;
  /** The drift points the policy used, in iteration order. */
  points: readonly DriftPoint[];
  /** How the drift read is named, e.g. 'D(t; S=47)' (messages gapText). */
  gapText: string;
}

/** One policy set up for one run: what OnlineWarmup needs to evaluate it and explain it. */
export interface PolicyRun {
  /** The gap the policy reads drift at. */
  gap: number;
  /** The value it compares with (evidence.threshold) and how it was obtained. */
  threshold: number | null;
  thresholdDerivation: string;
  /** Consecutive snapshots required (evidence.window); null when it reads no drift. */
  window: number | null;
  /** The drift D(t; S) the memory may carry once on (XBM's monitor and guard use it). */
  driftBudget: number;
  /** Decides from drift, snapshot by snapshot; null for a policy that reads no drift. */
  tracker: PolicyTracker | null;
  /**
   * Optional drift.csv columns the policy reads besides the drift (scatter: scatter_within,
   * scatter_between). A table with no values of them at the policy's gap cannot evaluate it.
   */
  reads?: readonly (keyof DriftRow)[];
  /** A start known in advance (no drift needed); drift is recorded only before it. */
  startAt?: number;
  /** The parameters as resolved (warmup.json, the CLI's "policy:" line). */
  parameters: Record<string, number | string>;
  /**
   * After the start (training only): a watch that may pause and resume the memory loss (trial).
   * Absent: the start is final (the optional --xbm-guard aside).
   */
  watch?(start: number): StartWatch;
  /** Extra evidence fields (plateau: relativeChanges). */
  extraEvidence?(): Partial<WarmupEvidence>;
  /** One plain sentence: why it fired, or how far it still is. */
  reason(r: ReasonInput): string;
}

/**
 * Everything about one warm-up policy, in one file: its name, how to write it, its defaults,
 * parsing and validation of its `name:key=value,...` spec, and how it decides (its tracker,
 * threshold derivation and reason texts). Adding a policy: one file exporting a WarmupPolicy
 * and one line in policies/index.ts; the parser, OnlineWarmup (trainer), decideWarmup (the
 * warmup command, the demo) and the config's --xbm-start auto:<policy> all read that table.
 */
export interface WarmupPolicy<C extends { kind: string }> {
  readonly kind: C['kind'];
  /** How the policy is written in lists of choices: 'staleness', 'fixed:<iteration>'. */
  readonly usage: string;
  /** Default parameter values. */
  readonly defaults: Readonly<Record<string, number>>;
  /**
   * Its parameters, as written after 'name:' (`key=value`); the parser accepts these, and the
   * `warmup` verb offers each as a flag (--relative-change for relativeChange) for the policies that declare it.
   */
  readonly parameters: readonly PolicyParameter[];
  /** Parse the spec after 'name:' (trimmed; '' when none). Returns a validated config. */
  parse(rest: string): C;
  /** Range checks for a config built in code or read from config.json; returns it. */
  validate(cfg: C): C;
  /** A start fixed by the config alone (fixed:N), else undefined. */
  startAt?(cfg: C): number | undefined;
  /** Set up for one run. cfg is validated. */
  run(cfg: C, env: PolicyEnv): PolicyRun;
}

// Helpers shared by the policy files.

/** `key=value,...` into numbers; keys must be among `parameters` (after `aliases`, lower-cased). */
export function parseKeyValues(
  policy: string, rest: string, parameters: readonly string[], aliases: Readonly<Record<string, string>> = {},
): Record<string, number> {
  const values: Record<string, number> = {};
  for (const part of rest === '' ? [] : rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new UserError(msg.badPolicyParameterSyntax(policy, part.trim()));
    const raw = part.slice(0, eq).trim();
    const key = aliases[raw.toLowerCase()] ?? raw;
    if (!parameters.includes(key)) throw new UserError(msg.unknownPolicyParameter(policy, raw, parameters));
    // A second value would silently win over the first.
    if (key in values) throw new UserError(msg.repeatedPolicyParameter(policy, key));
    values[key] = policyNumber(policy, key, part.slice(eq + 1).trim());
  }
  return values;
}

export function policyNumber(policy: string, key: string, value: string): number {
  const x = value === '' ? NaN : Number(value);
  if (Number.isNaN(x)) throw new UserError(msg.badPolicyNumber(policy, key, value));
  return x;
}

export function integerAtLeast(policy: string, key: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new UserError(msg.policyOutOfRange(policy, key, v, `an integer >= ${min}`));
}
