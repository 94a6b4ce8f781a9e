import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runPaths } from '../io/run-paths.js';
import { flagName, pointArgs, type PointArgsOptions } from './point-args.js';

/** Run statuses of a point stopped before its end: an interrupt, or a kill that left `running`. */
const STOPPED = ['interrupted', 'running'];

/** Whether the run folder holds a checkpoint (the pointer, or a checkpoint folder the trainer can recover). */
function hasCheckpoint(runDir: string): boolean {
  const dir = runPaths(runDir).checkpoints;
  return existsSync(dir) && readdirSync(dir).some((e) => e === 'latest.json' || e.startsWith('iter-'));
}

/** Whether a point in this state continues with `train --resume` rather than starting again. */
export function resumablePoint(runDir: string, status: string): boolean {
  return STOPPED.includes(status) && hasCheckpoint(runDir);
}

/**
 * The train arguments of a point in its current state (pointStatus): a stopped run with a
 * checkpoint resumes (`--resume` takes no training flags but --quiet); any other unfinished one is
 * replaced (--overwrite); a pending one starts.
 */
export function pointRunArgs(values: Record<string, string>, status: string, o: Omit<PointArgsOptions, 'overwrite'>): { args: string[]; resume: boolean } {
  if (resumablePoint(o.runDir, status)) {
    const quiet = o.trainFlags.some((t) => flagName(t) === 'quiet') ? ['--quiet'] : [];
    return { args: ['--resume', o.runDir, ...quiet], resume: true };
  }
  return { args: pointArgs(values, { ...o, overwrite: status !== 'pending' }), resume: false };
}
