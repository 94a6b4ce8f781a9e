import { existsSync, statSync } from 'node:fs';
import { runPaths } from './run-paths.js';
import { sweepPaths } from './formats/sweep-file.js';

export type FolderKind = 'run' | 'sweep' | 'missing' | 'other';

/** What a folder holds: a run (run.json, or config.json + metrics.csv), a sweep (sweep.json), or neither. */
export function folderKind(dir: string): FolderKind {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return 'missing';
  if (existsSync(sweepPaths(dir).json)) return 'sweep';
  const p = runPaths(dir);
  if (existsSync(p.run) || (existsSync(p.config) && existsSync(p.metrics))) return 'run';
  return 'other';
}
