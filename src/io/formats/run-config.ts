import { UserError } from '../../errors.js';
import { ioMessages } from '../../messages/io.js';
import { obj, type Json } from '../json-values.js';
import { readJsonFile, type JsonFormat } from './json-file.js';
import type { XbmStart } from './start-decision.js';

export const RUN_CONFIG_FORMAT: JsonFormat = { what: 'training configuration (config.json)', writer: '`xbm-drift train`', schemaVersion: 1 };

/**
 * config.json: what a run was asked to do. This is the file contract every reader relies on; the
 * trainer's TrainConfig (config/train-config.ts) extends it with each component's own settings,
 * and python/xbm_drift_log.py writes the same fields for a PyTorch run (`model.kind: 'external'`,
 * `xbm.start.kind: 'external'`, fields it does not know left out). So every field is optional
 * here, and a field that is present has the type below (readRunConfig checks it).
 */
export interface RunConfigFile {
  name?: string;
  /** '.' in files the trainer writes: the folder is where the run is. */
  out?: string;
  dataset?: { spec: string };
  batchSize?: number;
  iterations?: number;
  /** The loss's own config (losses/registry.ts): its kind and parameters. */
  loss?: { kind: string };
  /** The embedder (model/embedder.ts); `dim` is the embedding width. */
  model?: { kind: string; dim?: number };
  xbm?: {
    /** 0: no memory */
    size: number;
    weight?: number;
    /** A policy parsed by analysis/warmup (text in files from before it was parsed); 'external': a PyTorch run's own rule. */
    start?: XbmStart | { kind: 'external' };
    /** memory/adapt's config; files from before --xbm-adapt have none and read as { kind: 'none' }. */
    adapt?: { kind: string };
    combine?: string;
  };
  snapshots?: { every: number };
  seed?: number;
}

type Check = (v: unknown) => string | null;
const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'a positive whole number');
const wholeNumber: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : 'a whole number >= 0');
const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'a number');
const text: Check = (v) => (typeof v === 'string' ? null : 'a string');
const object: Check = (v) => (obj(v) ? null : 'an object');
const START_KINDS = ['off', 'at', 'auto', 'external'];
const start: Check = (v) => {
  if (v === 'off' || wholeNumber(v) === null) return null; // older files and other tools: migrated below
  const o = obj(v);
  if (!o || !START_KINDS.includes(o.kind as string)) return `an iteration, 'off', or an object with kind ${START_KINDS.join(', ')}`;
  if (o.kind === 'at' && wholeNumber(o.iteration) !== null) return '{kind: "at", iteration: a whole number >= 0}';
  if (o.kind === 'auto' && typeof o.policy !== 'string' && !obj(o.policy)) return '{kind: "auto", policy: a policy}';
  return null;
};

/** Each field a reader relies on, by its dotted path, and what it must be when present. */
const FIELDS: [string, Check][] = [
  ['name', text], ['out', text], ['dataset', object], ['dataset.spec', text],
  ['batchSize', positiveInt], ['iterations', positiveInt],
  ['loss', object], ['loss.kind', text], ['model', object], ['model.kind', text], ['model.dim', positiveInt],
  ['xbm', object], ['xbm.size', wholeNumber], ['xbm.weight', finite], ['xbm.start', start], ['xbm.adapt', object], ['xbm.adapt.kind', text], ['xbm.combine', text],
  ['snapshots', object], ['snapshots.every', wholeNumber], ['seed', finite],
];

/**
 * The one reader of config.json (the trainer's resume, report, warmup, import, sweep tables): null
 * when absent; a file that is not JSON, not an object, or holds a field of the wrong type (a
 * hand-edited `"iterations": -5`) is a one-line UserError naming the file and the field. Files of
 * older versions are brought to today's shape here (migrate below); the policy
 * text of older files is parsed where the policies are known (config/ normaliseTrainConfig).
 */
export function readRunConfig(path: string): RunConfigFile | null {
  const raw = readJsonFile(path, RUN_CONFIG_FORMAT);
  if (raw === null) return null;
  const root = obj(raw);
  if (!root) throw new UserError(ioMessages.notJsonObject(path, RUN_CONFIG_FORMAT.what, RUN_CONFIG_FORMAT.writer));
  for (const [field, check] of FIELDS) {
    const keys = field.split('.');
    const parent = keys.slice(0, -1).reduce<Json | undefined>((o, k) => obj(o?.[k]), root);
    const v = parent?.[keys[keys.length - 1]];
    if (v === undefined || v === null) continue; // absent (the Python logger writes null for what it does not know yet)
    const expected = check(v);
    if (expected !== null) throw new UserError(ioMessages.badField(path, field, expected, JSON.stringify(v) ?? String(v)));
  }
  return migrate(root as RunConfigFile);
}

/**
 * Older files in today's shape: a start written as a bare iteration or 'off' (older versions,
 * other tools) becomes {kind: 'at'} or {kind: 'off'}; a missing xbm.adapt is plain XBM.
 */
function migrate(config: RunConfigFile): RunConfigFile {
  if (!config.xbm) return config;
  const xbm = { ...config.xbm, adapt: config.xbm.adapt ?? { kind: 'none' } };
  const given = xbm.start as unknown;
  if (given === 'off') xbm.start = { kind: 'off' };
  else if (typeof given === 'number') xbm.start = { kind: 'at', iteration: given };
  return { ...config, xbm };
}
