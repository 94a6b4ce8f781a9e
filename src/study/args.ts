/**
 * The study scripts' flags: one parser, so each entry point is its flag list and one library call.
 * `--name value` or `--name=value`; a mode flag takes no value; everything after `--` is returned
 * apart (train flags for every run). Unknown flags and missing values are one-line UserErrors.
 */
import { UserError } from '../errors.js';
import { studyMessages as msg } from '../messages/study.js';
import { checkResources, type ClusterResources } from '../sweep/slurm.js';

export interface FlagSpec {
  /** the script's name, for messages */
  script: string;
  /** flags that take a value */
  values: readonly string[];
  /** flags that take none (modes); at most one may be given */
  modes?: readonly string[];
  /** the script's own texts for these refusals (default: studyMessages) */
  messages?: { unknownFlag?: (flag: string) => string; twoModes?: (a: string, b: string) => string; missingValue?: (flag: string) => string };
}

export interface ParsedFlags {
  values: Record<string, string>;
  mode?: string;
  /** the words after `--` */
  rest: string[];
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const rest = dash < 0 ? [] : argv.slice(dash + 1).map(String);
  const values: Record<string, string> = {};
  let mode: string | undefined;
  const known = [...spec.values, ...(spec.modes ?? [])];
  const unknownFlag = spec.messages?.unknownFlag ?? ((f: string) => msg.unknownFlag(spec.script, f, known));
  const twoModes = spec.messages?.twoModes ?? msg.twoModes;
  const missingValue = spec.messages?.missingValue ?? msg.missingValue;
  for (let i = 0; i < own.length; i++) {
    const word = String(own[i]);
    const [name, inline] = word.replace(/^--/, '').split(/=(.*)/s);
    if (!word.startsWith('--') || !known.includes(name)) throw new UserError(unknownFlag(word));
    if (spec.modes?.includes(name)) {
      if (mode !== undefined && mode !== name) throw new UserError(twoModes(mode, name));
      mode = name;
      continue;
    }
    const value = inline ?? (i + 1 < own.length ? String(own[++i]) : undefined);
    if (value === undefined) throw new UserError(missingValue(word));
    values[name] = value;
  }
  return { values, mode, rest };
}

/** A whole number >= min, or a UserError naming the flag. */
export function intFlag(values: Record<string, string>, name: string, fallback: number, min = 1): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UserError(min >= 4 ? msg.badIterations(name, text) : msg.badCount(name, text));
  return n;
}

/** A comma-separated list, each item one of `known` (default: all of them). */
export function listFlag<T extends string>(values: Record<string, string>, name: string, what: string, known: readonly T[]): T[] {
  const text = values[name];
  if (text === undefined) return [...known];
  const items = text.split(',').map((s) => s.trim());
  const unknown = items.filter((s) => !known.includes(s as T));
  if (unknown.length > 0) throw new UserError(msg.unknownChoice(what, unknown, known));
  return items as T[];
}

/** The cluster flags every study and the paper figures share (sbatch resources and the Kubernetes Job's). */
export const CLUSTER_FLAGS = ['partition', 'time', 'cpus-per-task', 'gpus-per-task', 'mem', 'image', 'pvc', 'parallelism'] as const;

export interface ClusterOptions {
  resources: ClusterResources;
  image?: string;
  pvc?: string;
  parallelism?: number;
}

export function clusterOptions(values: Record<string, string>): ClusterOptions {
  const int = (k: string) => (values[k] === undefined ? undefined : Number(values[k]));
  const resources: ClusterResources = { partition: values.partition, time: values.time, cpusPerTask: int('cpus-per-task'), gpusPerTask: int('gpus-per-task'), mem: values.mem };
  checkResources(resources);
  return { resources, image: values.image, pvc: values.pvc, parallelism: int('parallelism') };
}
