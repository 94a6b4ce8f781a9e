import { join } from 'node:path';
import { obj, readJsonIfExists, stableStringify, str } from '../report/read-json.js';
import type { GridAxis, GridPoint } from './grid.js';

/** Paths inside a sweep folder, defined once. Each point is a run folder `<sweep>/<point name>`. */
export function sweepPaths(dir: string) {
  return {
    root: dir,
    json: join(dir, 'sweep.json'),
    csv: join(dir, 'sweep.csv'),
    logs: join(dir, 'logs'),
    log: (point: string) => join(dir, 'logs', `${point}.log`),
    point: (point: string) => join(dir, point),
  };
}

/** sweep.json: what was asked for, so a rerun can resume it and a report can read it. */
export interface SweepJson {
  version: 1;
  grid: GridAxis[];
  iterations: number | null;
  trainFlags: string[];
  points: (GridPoint & { args: string[] })[];
  createdAt: string;
}

/** Grid, iterations and flags: two sweeps with equal identities can share a folder (resume). */
export function sweepIdentity(s: Pick<SweepJson, 'grid' | 'iterations' | 'trainFlags'>): string {
  return stableStringify({ grid: s.grid, iterations: s.iterations ?? null, trainFlags: s.trainFlags });
}

/** Read sweep.json defensively; null when absent. */
export function readSweepJson(dir: string): SweepJson | null {
  const raw = obj(readJsonIfExists(sweepPaths(dir).json));
  if (!raw) return null;
  const grid: GridAxis[] = (Array.isArray(raw.grid) ? raw.grid : [])
    .map((a) => obj(a))
    .filter((a): a is Record<string, unknown> => !!a && typeof a.key === 'string' && Array.isArray(a.values))
    .map((a) => ({ key: a.key as string, values: (a.values as unknown[]).map(String) }));
  const points = (Array.isArray(raw.points) ? raw.points : [])
    .map((p) => obj(p))
    .filter((p): p is Record<string, unknown> => !!p && typeof p.name === 'string')
    .map((p) => ({
      name: p.name as string,
      values: Object.fromEntries(Object.entries(obj(p.values) ?? {}).map(([k, v]) => [k, String(v)])),
      args: Array.isArray(p.args) ? p.args.map(String) : [],
    }));
  return {
    version: 1,
    grid,
    iterations: typeof raw.iterations === 'number' ? raw.iterations : null,
    trainFlags: Array.isArray(raw.trainFlags) ? raw.trainFlags.map(String) : [],
    points,
    createdAt: str(raw.createdAt) ?? '',
  };
}
