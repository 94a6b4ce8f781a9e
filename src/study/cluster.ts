/**
 * A planned sweep folder (sweep.json with each point's train arguments) trained here point by
 * point, or written as a Slurm array or a Kubernetes Indexed Job whose tasks run
 * `xbm-drift sweep --point <index> <dir>`. Shared by the studies and the paper figures.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { sweepPaths, type SweepFile } from '../io/formats/sweep-file.js';
import { reportMessages } from '../messages/report.js';
import { k8sJob, toYaml } from '../sweep/k8s.js';
import { cliCommand, trainPointRunner, type PointRunner } from '../sweep/point-runner.js';
import { runSweepPoint, unfinishedPoints } from '../sweep/point.js';
import { sbatchScript } from '../sweep/slurm.js';
import type { ClusterOptions } from './args.js';
import type { PlannedRun } from './run-plan.js';
import { extendStudySweep } from './study-sweep.js';

/** Train the listed points here, one after another; completed ones are skipped. The names trained. */
export async function runPointsHere(dir: string, indices: readonly number[], deps: { runPoint?: PointRunner; log: (line: string) => void }): Promise<string[]> {
  const trained: string[] = [];
  for (const index of indices) {
    const o = await runSweepPoint(dir, index, { runPoint: deps.runPoint ?? trainPointRunner(), log: deps.log });
    if (!o.skipped) trained.push(o.name);
  }
  return trained;
}

/** slurm/sweep.sbatch: an array job of the points not completed. The indices it runs. */
export function writeSlurmJob(dir: string, sweep: SweepFile, o: ClusterOptions & { jobName: string; log: (line: string) => void; then: string }): number[] {
  const paths = sweepPaths(dir);
  const indices = unfinishedPoints(dir, sweep);
  if (indices.length === 0) {
    o.log(`${dir}: every point is completed; nothing to submit`);
    return indices;
  }
  const script = sbatchScript({ dir: resolve(dir), indices, command: cliCommand(), cwd: process.cwd(), logPattern: resolve(paths.taskLogPattern), jobName: o.jobName, resources: o.resources });
  writeFileAtomic(paths.sbatch, script);
  // Slurm opens each task's output file itself and fails the task when its folder is missing.
  mkdirSync(paths.logs, { recursive: true });
  o.log(`${paths.sbatch}: an array job of ${indices.length} of ${sweep.points.length} points; submit with \`sbatch ${paths.sbatch}\`, then ${o.then}`);
  return indices;
}

/** k8s/job.yaml: a Kubernetes Indexed Job of every point (completed ones skip themselves). */
export function writeK8sJob(dir: string, sweep: SweepFile, o: ClusterOptions & { jobName: string; log: (line: string) => void; then: string }): void {
  if (!o.image) throw new UserError(reportMessages.k8sImage);
  const paths = sweepPaths(dir);
  const abs = resolve(dir);
  const manifest = toYaml(k8sJob({ name: o.jobName, completions: sweep.points.length, parallelism: o.parallelism, image: o.image, command: ['xbm-drift'], mountPath: abs, claimName: o.pvc, resources: o.resources }));
  writeFileAtomic(paths.k8s, manifest);
  o.log(`${paths.k8s}: a Kubernetes Indexed Job of ${sweep.points.length} points; submit with \`kubectl apply -f ${paths.k8s}\`, then ${o.then}`);
}

/** The job name of a sweep folder: the prefix and the folder's name. */
export const jobName = (prefix: string, dir: string) => `${prefix}-${basename(resolve(dir))}`;

/** How a study's runs leave this machine: plan.tsv only, a Slurm array, or a Kubernetes Job. */
export type EmitMode = 'plan' | 'slurm' | 'k8s';
export const EMIT_MODES: readonly EmitMode[] = ['plan', 'slurm', 'k8s'];

export interface EmitOptions {
  cluster?: ClusterOptions;
  /** the job name's prefix: <prefix>-<sweep folder> */
  jobPrefix: string;
  /** what to do once the points are trained */
  then: string;
  log: (line: string) => void;
  now?: Date;
}

/**
 * The planned runs as sweep points, one sweep folder per parent folder of theirs (so each point
 * trains into the run folder the local study uses), then plan.tsv, an sbatch script of the points
 * not completed, or a Kubernetes Job. The sweep folders, in order.
 */
export function emitRuns(runs: readonly PlannedRun[], mode: EmitMode, o: EmitOptions): string[] {
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) groups.set(dirname(r.dir), [...(groups.get(dirname(r.dir)) ?? []), r]);
  for (const [dir, group] of groups) {
    const sweep = extendStudySweep(dir, group, o.now);
    const job = { ...(o.cluster ?? { resources: {} }), jobName: jobName(o.jobPrefix, dir), log: o.log, then: o.then };
    if (mode === 'plan') o.log(`${dir}: ${sweep.points.length} points in ${sweepPaths(dir).plan}; train one with \`xbm-drift sweep --point <index> ${dir}\`, then ${o.then}`);
    else if (mode === 'slurm') writeSlurmJob(dir, sweep, job);
    else writeK8sJob(dir, sweep, job);
  }
  return [...groups.keys()];
}
