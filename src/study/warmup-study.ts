/**
 * The warm-up study (docs/studies.md "Warm-up study"): with the same seed and budget, train without XBM,
 * with XBM from iteration 0, from a few fixed starts, with each registered auto policy (`auto`,
 * the default, under its historical name), and with the default plus the guard. One seed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STUDY_CHOICE } from '../config/study-choice.js';
import type { TrainFlags } from '../config/train-config.js';
import { writeCsv } from '../io/csv.js';
import { UserError } from '../errors.js';
import { studyMessages as msg } from '../messages/study.js';
import type { ClusterOptions } from './args.js';
import { autoPolicies } from './arms.js';
import { emitRuns, type EmitMode } from './cluster.js';
import { outcomeOf, type RunOutcome } from './outcome.js';
import { planRun, runAllPlanned, type RunDeps } from './run-plan.js';
import { markdownTable } from './summary-table.js';

export interface WarmupArm {
  name: string;
  flags: Partial<TrainFlags>;
}

/** The arm's folder name: "XBM from 100" -> xbm-from-100 (the names of the runs already made). */
export const armSlug = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();

/** Every arm: a new registered policy appears as "XBM auto:<policy>" without editing this. */
export function warmupArms(xbmSize: number, starts: readonly number[], policies: readonly string[] = autoPolicies(), defaultPolicy: string = STUDY_CHOICE.policy): WarmupArm[] {
  return [
    { name: 'no XBM', flags: {} },
    { name: 'XBM from 0', flags: { xbmSize, xbmStart: '0' } },
    ...starts.map((s) => ({ name: `XBM from ${s}`, flags: { xbmSize, xbmStart: String(s) } })),
    { name: 'XBM auto', flags: { xbmSize, xbmStart: 'auto' } },
    ...policies.filter((p) => p !== defaultPolicy).map((p) => ({ name: `XBM auto:${p}`, flags: { xbmSize, xbmStart: `auto:${p}` } })),
    { name: 'XBM auto + guard', flags: { xbmSize, xbmStart: 'auto', xbmGuard: true } },
  ];
}

/** The arms named (by slug) in `only`, or all; an unknown name is refused. */
export function selectArms(arms: readonly WarmupArm[], only?: readonly string[]): WarmupArm[] {
  if (!only) return [...arms];
  const slugs = arms.map((a) => armSlug(a.name));
  const unknown = only.filter((s) => !slugs.includes(s));
  if (unknown.length > 0) throw new UserError(msg.unknownChoice('arm', unknown, slugs));
  return arms.filter((a) => only.includes(armSlug(a.name)));
}

export const WARMUP_COLUMNS = ['arm', 'r_at_1', 'map_at_r', 'collapsed', 'start', 'pauses', 'ms_per_iteration', 'wall_s', 'backend', 'run'] as const;
type WarmupRow = Record<(typeof WARMUP_COLUMNS)[number], string | number>;

export function warmupRow(arm: WarmupArm, o: RunOutcome, dir: string): WarmupRow {
  return {
    arm: arm.name, r_at_1: o.r1, map_at_r: o.mapAtR, collapsed: o.collapsed ? 'yes' : 'no', start: o.start === 'off' || o.start === 'never' ? o.start : Number(o.start),
    pauses: o.pauses, ms_per_iteration: Math.round(o.msPerIteration), wall_s: Math.round(o.wallSeconds), backend: o.backend, run: dir,
  };
}

/** The study.md table: the first eight columns, fractions to four digits. */
export function warmupMarkdown(title: string, rows: readonly WarmupRow[]): string {
  const shown = WARMUP_COLUMNS.slice(0, 8);
  const fmt = (v: string | number) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
  return [title, '', markdownTable(shown, rows.map((r) => shown.map((c) => fmt(r[c]))))].join('\n');
}

export interface WarmupStudyOptions {
  out: string;
  /** the flags every arm shares (dataset, budget, seed, snapshots, ...) */
  common: Omit<TrainFlags, 'out'> & { iterations: number };
  xbmSize: number;
  starts: readonly number[];
  /** arm slugs to run (default: all) */
  only?: readonly string[];
}

/**
 * Plan every arm (all validated first). local: run each (reused, resumed or trained), write
 * study.csv and study.md, and return the table; plan, slurm, k8s: the arms as points of the sweep
 * folder --out (emitRuns), then run locally for the table (every run is reused).
 */
export async function runWarmupStudy(o: WarmupStudyOptions, mode: 'local' | EmitMode = 'local', deps: RunDeps & { now?: () => Date; cluster?: ClusterOptions } = {}): Promise<string | null> {
  const arms = selectArms(warmupArms(o.xbmSize, o.starts), o.only);
  const planned = arms.map((arm) => ({ arm, p: planRun(arm.name, { ...o.common, ...arm.flags, out: join(o.out, armSlug(arm.name)) }) }));
  if (mode !== 'local') {
    emitRuns(planned.map((x) => x.p), mode, { cluster: deps.cluster, jobPrefix: 'warmup-study', then: `run this command without --${mode} for the table`, log: deps.log ?? (() => {}), now: deps.now?.() });
    return null;
  }
  const records = await runAllPlanned(planned.map((x) => x.p), deps);
  const rows = planned.map(({ arm, p }, i) => warmupRow(arm, outcomeOf(records[i]), p.dir));
  await writeCsv(join(o.out, 'study.csv'), [...WARMUP_COLUMNS], rows);
  const date = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  const md = warmupMarkdown(`Warm-up study, ${date}: ${o.common.dataset ?? 'mnist2'}, ${o.common.iterations} iterations, M = ${o.xbmSize}, seed ${o.common.seed ?? 1}.`, rows);
  writeFileSync(join(o.out, 'study.md'), `${md}\n`);
  return md;
}
