/**
 * The XBM study's arms, read from the registries so that a new reducer used by a parity mode, a
 * new compensation strategy (ADAPT_STRATEGIES) or a new warm-up policy (WARMUP_POLICIES) joins the
 * study without editing it. An arm is one configuration of a regime: no XBM, or XBM with a reducer,
 * a compensation strategy and a start.
 */
import { WARMUP_POLICIES } from '../analysis/warmup/policies/index.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { REDUCER_KINDS, type ReducerKind } from '../losses/reducers/registry.js';
import { ADAPT_KINDS, type XbmAdaptKind } from '../memory/adapt/index.js';
import { PARITY_MODES } from '../memory/parity/registry.js';

export interface Arm {
  reducer: ReducerKind;
  /** null: no XBM */
  adapt: XbmAdaptKind | null;
  /** an iteration, or auto:<policy> */
  start?: string;
  guard?: boolean;
}

/** The run folder's name stem; existing study folders are named this way, so it must not change. */
export const armName = (a: Arm) =>
  a.adapt === null ? `noxbm-${a.reducer}` : `xbm-${a.reducer}-${a.adapt}-${(a.start ?? '').replace(':', '-')}${a.guard ? '-guard' : ''}`;
/** The configuration without its start, for the tables. */
export const armConfig = (a: Arm) => (a.adapt === null ? `no XBM, ${a.reducer}` : `${a.reducer}, adapt ${a.adapt}`);
/** The start column of stage B: "150", "auto:scatter", "auto:staleness + guard". */
export const startLabel = (a: Arm) => `${a.start}${a.guard ? ' + guard' : ''}`;
export const sameArm = (a: Arm, b: Arm) => armName(a) === armName(b);

/**
 * The reductions stage A screens: those the registered parity modes (XBM's published
 * implementations) use, in the reducer registry's order. A parity mode with a new reducer adds it.
 */
export function studyReducers(): ReducerKind[] {
  const used = new Set<string>(PARITY_MODES.map((p) => p.reducer));
  return REDUCER_KINDS.filter((k) => used.has(k));
}

/** Every registered compensation strategy (--xbm-adapt). */
export const studyAdapts = (): XbmAdaptKind[] => [...ADAPT_KINDS];

/** The policies that decide from evidence: every registered one without a start fixed by its config (fixed:N). */
export function autoPolicies(): string[] {
  return WARMUP_POLICIES.filter((p) => !('startAt' in p) || p.startAt === undefined).map((p) => p.kind);
}

/** Stage A's screen: per reducer, no XBM and XBM from `start` with each strategy. */
export function screenArms(reducers: readonly ReducerKind[], adapts: readonly XbmAdaptKind[], start: string): Arm[] {
  return reducers.flatMap((reducer) => [{ reducer, adapt: null }, ...adapts.map((adapt) => ({ reducer, adapt, start }))]);
}

/** Stage A's repeats: the baselines of every reducer and the screen's best XBM arms. */
export const repeatArms = (reducers: readonly ReducerKind[], best: readonly Arm[]): Arm[] => [...reducers.map((reducer): Arm => ({ reducer, adapt: null })), ...best];

/** Stage B's fixed starts: a quarter, half and three quarters of the budget. */
export const fixedStarts = (iterations: number): string[] => [iterations / 4, iterations / 2, (3 * iterations) / 4].map((s) => String(Math.round(s)));

/**
 * Stage B's arms with the best configuration of stage A: the fixed starts, each auto policy, and
 * (guardArm) the default policy (what `--xbm-start auto` means) with the guard.
 */
export function startArms(best: Arm, iterations: number, policies: readonly string[] = autoPolicies(), defaultPolicy: string = STUDY_CHOICE.policy, guardArm = true): Arm[] {
  return [
    ...fixedStarts(iterations).map((start) => ({ ...best, start, guard: false })),
    ...policies.map((p) => ({ ...best, start: `auto:${p}`, guard: false })),
    ...(guardArm ? [{ ...best, start: `auto:${defaultPolicy}`, guard: true }] : []),
  ];
}

export const isAutoStart = (a: Arm) => a.start?.startsWith('auto') === true;
