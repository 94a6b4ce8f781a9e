import { spawnSync } from 'node:child_process';
import { UserError } from '../errors.js';
import { reportMessages } from '../messages/report.js';
import { shellQuote } from '../io/formats/sweep-file.js';

/** Resources of every array task (sbatch options); absent ones are left to the cluster's defaults. */
export interface ClusterResources {
  partition?: string;
  /** Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time?: string;
  cpusPerTask?: number;
  gpusPerTask?: number;
  /** Memory per node, Slurm style: a whole number with an optional K, M, G or T suffix (default M). */
  mem?: string;
}

const TIME = /^(\d+-)?\d+(:\d+){0,2}$/;
const MEM = /^\d+[KMGT]?$/i;

/** Refuse a malformed resource before anything is written. */
export function checkResources(r: ClusterResources): void {
  if (r.partition !== undefined && !/^[\w.,-]+$/.test(r.partition)) throw new UserError(reportMessages.badResource('partition', r.partition, 'give a partition name (see sinfo)'));
  if (r.time !== undefined && !TIME.test(r.time)) throw new UserError(reportMessages.badResource('time', r.time, 'give minutes or [D-]HH:MM:SS, e.g. 2:00:00'));
  for (const [flag, v] of [['cpus-per-task', r.cpusPerTask], ['gpus-per-task', r.gpusPerTask]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < (flag === 'gpus-per-task' ? 0 : 1))) throw new UserError(reportMessages.badResource(flag, v, 'give a whole number'));
  }
  if (r.mem !== undefined && !MEM.test(r.mem)) throw new UserError(reportMessages.badResource('mem', r.mem, 'give a size like 4000, 8G or 512M'));
}

/** `0-3,5,7-8`: Slurm's --array list of the indices, consecutive runs as ranges. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface SbatchScriptOptions {
  /** The sweep folder, absolute. */
  dir: string;
  /** Array indices to run. */
  indices: readonly number[];
  /** The CLI as the user ran it: node and bin/xbm-drift.js, absolute. */
  command: readonly string[];
  /** Working directory of every task (relative paths in the train flags resolve against it). */
  cwd: string;
  /** Slurm's per-task output, with %a for the array index. */
  logPattern: string;
  jobName: string;
  resources: ClusterResources;
}

/** The sbatch array script: each task trains point $SLURM_ARRAY_TASK_ID with `xbm-drift sweep --point`. */
export function sbatchScript(o: SbatchScriptOptions): string {
  const r = o.resources;
  const directives = [
    `--job-name=${o.jobName}`,
    `--array=${arraySpec(o.indices)}`,
    `--output=${o.logPattern}`,
    `--chdir=${o.cwd}`,
    '--ntasks=1',
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(r.cpusPerTask ? [`--cpus-per-task=${r.cpusPerTask}`] : []),
    ...(r.gpusPerTask ? [`--gpus-per-task=${r.gpusPerTask}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
  ];
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    '# Written by `xbm-drift sweep --slurm`: one array task per sweep point not completed at submission.',
    '# Rerun the same `xbm-drift sweep ... --slurm` command to submit the points still unfinished.',
    'set -eu',
    `exec ${o.command.map(shellQuote).join(' ')} sweep --point "$SLURM_ARRAY_TASK_ID" ${shellQuote(o.dir)}`,
    '',
  ].join('\n');
}

/** Submit a script with `sbatch --parsable`; the job id, or a one-line UserError. */
export function submitSbatch(script: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8', env });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(reportMessages.sbatchMissing(script));
    throw new UserError(reportMessages.sbatchFailed(null, r.error.message));
  }
  const jobId = r.stdout.trim().split(';')[0];
  if (r.status !== 0 || !/^\d+$/.test(jobId)) throw new UserError(reportMessages.sbatchFailed(r.status, r.stderr || r.stdout));
  return jobId;
}

/** Whether a job still has tasks queued or running (squeue lists it); false when squeue is absent or forgot the job. */
export function slurmJobActive(jobId: string, env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync('squeue', ['-h', '-j', jobId, '-o', '%i'], { encoding: 'utf8', env });
  return !r.error && r.status === 0 && r.stdout.trim() !== '';
}
