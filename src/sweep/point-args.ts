import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { BATCH_KEYS, MEMORY_KEYS, XBM_KEY, type GridAxis } from '../io/formats/sweep-file.js';

/** Flags the sweep sets for every point; the user cannot override them after `--`. */
const RESERVED = ['out'];
/** Spellings yargs treats as the same train flag. */
const ALIASES: Record<string, string> = { iters: 'iterations' };

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The canonical name of a `--flag` or `--flag=value` token, or null for a value. */
export function flagName(token: string): string | null {
  if (!token.startsWith('--') || token.length === 2) return null;
  const name = kebab(token.slice(2).split('=')[0]);
  return ALIASES[name] ?? name;
}

/** Train flags for one grid key and value (batch -> --batch-size, xbm=off -> --xbm-start off, ...). */
export function gridFlag(key: string, value: string): [string, string] | null {
  if (BATCH_KEYS.includes(key)) return ['--batch-size', value];
  if (MEMORY_KEYS.includes(key)) return ['--xbm-size', value];
  if (key === XBM_KEY) return value === 'on' ? null : ['--xbm-start', value];
  if (key === 'iters') return ['--iterations', value];
  return [`--${key}`, value];
}

/** Remove every occurrence of the named flags (with their value) from a train flag list. */
export function stripFlags(args: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = flagName(args[i]);
    if (name !== null && names.has(name)) {
      if (!args[i].includes('=') && i + 1 < args.length && flagName(args[i + 1]) === null) i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

export interface PointArgsOptions {
  /** Train flags given after `--`, forwarded to every point. */
  trainFlags: readonly string[];
  iterations?: number;
  runDir: string;
  /** The folder holds an unfinished run: let train replace it. */
  overwrite: boolean;
}

/**
 * Refuse train flags after `--` that a grid axis or --iters also sets: pointArgs would drop one
 * of the two without a word. A forwarded --xbm-start is kept where the xbm axis has `on` (it
 * means "as given"), so it conflicts only with an xbm axis whose every value sets the start.
 */
export function checkForwardedFlags(grid: readonly GridAxis[], trainFlags: readonly string[], iterations?: number): void {
  const setBy = new Map<string, string>();
  for (const a of grid) {
    const flags = a.values.map((v) => gridFlag(a.key, v));
    if (flags.some((f) => f === null)) continue;
    setBy.set(flagName(flags[0]![0])!, `--grid ${a.key}=${a.values.join(',')}`);
  }
  if (iterations !== undefined) setBy.set('iterations', `--iters ${iterations}`);
  for (const t of trainFlags) {
    const by = setBy.get(flagName(t) ?? '');
    if (by !== undefined) throw new UserError(reportMessages.gridFlagTwice(by, t));
  }
}

/** The `train` arguments of one sweep point. Grid values win over the forwarded flags. */
export function pointArgs(values: Record<string, string>, o: PointArgsOptions): string[] {
  for (const t of o.trainFlags) {
    const name = flagName(t);
    // Every point resumes itself when the sweep is rerun; one --resume folder for all would be wrong.
    if (name === 'resume') throw new UserError(reportMessages.resumeAfterDashes);
    if (name !== null && RESERVED.includes(name)) throw new UserError(reportMessages.reservedTrainFlag(`--${name}`));
  }
  const set: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const f = gridFlag(k, v);
    if (f) set.push(...f);
  }
  if (o.iterations !== undefined && !set.includes('--iterations')) set.push('--iterations', String(o.iterations));
  const names = new Set(set.filter((t) => flagName(t) !== null).map((t) => flagName(t)!));
  const forwarded = stripFlags(o.trainFlags, names);
  const overwrite = o.overwrite && !forwarded.some((t) => flagName(t) === 'overwrite') ? ['--overwrite'] : [];
  return [...forwarded, ...set, ...overwrite, '--out', o.runDir];
}
