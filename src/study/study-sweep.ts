/**
 * A study's runs as points of a planned sweep, so they can train as a Slurm array or Kubernetes
 * Job (`xbm-drift sweep --point <index> <dir>`) as well as here. A sweep folder holds the runs of
 * one regime: each point's run folder is the one the study trains locally, so either way of
 * running finds the other's results. A staged study adds points as its stages become known:
 * earlier points keep their index, so a submitted array stays valid.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { TrainFlags } from '../config/train-config.js';
import { UserError } from '../errors.js';
import { folderKind } from '../io/folder-kind.js';
import { readSweepFile, writeSweepFile, writeSweepPlan, type SweepFile } from '../io/formats/sweep-file.js';
import { readRunRecord } from '../io/formats/run-record.js';
import { runPaths } from '../io/run-paths.js';
import { reportMessages } from '../messages/report.js';
import { studyMessages as msg } from '../messages/study.js';
import { planAxes } from '../sweep/paper-plan.js';
import { pointArgs } from '../sweep/point-args.js';
import { sameConfigRecord, type PlannedRun } from './run-plan.js';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Train flags as `xbm-drift train` spells them: --kebab-name -> value (out left to the sweep). */
export function flagValues(flags: TrainFlags): Record<string, string> {
  return Object.fromEntries(
    Object.entries(flags)
      .filter(([k, v]) => k !== 'out' && v !== undefined)
      .map(([k, v]) => [kebab(k), String(v)]),
  );
}

/**
 * Add the planned runs (all in `dir`) to the sweep folder's sweep.json and plan.tsv; the sweep.
 * Refused, before anything is written: a point sweep.json already plans with other arguments, and
 * a folder holding a completed run of another configuration (the sweep would skip it).
 */
export function extendStudySweep(dir: string, runs: readonly PlannedRun[], now = new Date()): SweepFile {
  if (folderKind(dir) === 'run') throw new UserError(reportMessages.outIsRun(dir));
  const previous = readSweepFile(dir);
  const points = [...(previous?.points ?? [])];
  for (const run of runs) {
    if (resolve(dirname(run.dir)) !== resolve(dir)) throw new Error(`extendStudySweep: ${run.dir} is not in ${dir}`);
    const name = basename(run.dir);
    const values = flagValues(run.flags);
    const args = pointArgs(values, { trainFlags: [], runDir: join(dir, name), overwrite: false });
    const known = points.find((p) => p.name === name);
    if (known) {
      if (JSON.stringify(known.values) !== JSON.stringify(values)) throw new UserError(msg.otherPlan(dir, name));
      continue;
    }
    if (readRunRecord(runPaths(run.dir).run)?.status === 'completed' && sameConfigRecord(run) === null) throw new UserError(msg.otherRun(run.dir));
    points.push({ name, values, args });
  }
  const sweep: SweepFile = { schemaVersion: 1, grid: planAxes(points), iterations: null, trainFlags: [], points, createdAt: previous?.createdAt || now.toISOString() };
  mkdirSync(dir, { recursive: true });
  writeSweepFile(dir, sweep);
  writeSweepPlan(dir, sweep);
  return sweep;
}
