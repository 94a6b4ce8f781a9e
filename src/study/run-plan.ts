/**
 * A study's planned run, and the resumable runner every study shares: a planned run is reused
 * when its folder holds a completed run of the same configuration, resumed when it was
 * interrupted, trained afresh otherwise.
 */
import { existsSync } from 'node:fs';
import { normaliseTrainConfig, resolveTrainConfig, type TrainConfig, type TrainFlags } from '../config/train-config.js';
import { isUserError, UserError } from '../errors.js';
import { readRunRecord, type RunRecord } from '../io/formats/run-record.js';
import { readRunConfig } from '../io/formats/run-config.js';
import { stableStringify } from '../io/json-values.js';
import { runPaths } from '../io/run-paths.js';
import { studyMessages as msg } from '../messages/study.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { resumeTraining, train } from '../train/trainer.js';

export interface PlannedRun {
  /** what the log line names, e.g. "scratch-16 xbm-mean-active-moments-100 seed 2" */
  label: string;
  dir: string;
  /** the train flags (a sweep point's arguments are these) */
  flags: TrainFlags;
  /** the flags resolved: validated when planned, so a bad one fails before anything trains */
  config: TrainConfig;
}

/** Plan one run: its flags are validated now (a UserError names the run). */
export function planRun(label: string, flags: TrainFlags): PlannedRun {
  try {
    return { label, dir: flags.out, flags, config: resolveTrainConfig(flags) };
  } catch (e) {
    if (isUserError(e)) throw new UserError(msg.refused(label, e.message));
    throw e;
  }
}

/**
 * The configuration as config.json holds it (a JSON round trip drops undefined fields), in one key
 * order: a run is reused or resumed only when this matches.
 */
const comparable = (c: TrainConfig) => stableStringify(JSON.parse(JSON.stringify({ ...c, out: '.', name: undefined })));

/** The run.json of the planned run's folder when it holds a run of the planned configuration; else null. */
export function sameConfigRecord(p: PlannedRun): RunRecord | null {
  const paths = runPaths(p.dir);
  if (!existsSync(paths.config)) return null;
  const onDisk = normaliseTrainConfig(readRunConfig(paths.config));
  return comparable(onDisk) === comparable(p.config) ? readRunRecord(paths.run) : null;
}

/** The completed run of the planned configuration, or null. */
export function completedRecord(p: PlannedRun): RunRecord | null {
  const r = sameConfigRecord(p);
  return r?.status === 'completed' ? r : null;
}

export interface RunDeps {
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Reuse, resume or train one planned run (see the file comment). A run the trainer refuses is a
 * UserError naming the run; the trainer refuses before it writes anything, and finished runs stay
 * reusable.
 */
export async function runPlanned(p: PlannedRun, deps: RunDeps = {}): Promise<RunRecord> {
  const log = deps.log ?? (() => {});
  try {
    const record = sameConfigRecord(p);
    if (record?.status === 'completed') {
      log(`== ${p.label}: completed, reused (${p.dir})`);
      return record;
    }
    if (record && latestCheckpoint(runPaths(p.dir).checkpoints)) {
      log(`== ${p.label}: resuming ${p.dir}`);
      return await resumeTraining(p.dir, { signal: deps.signal });
    }
    log(`== ${p.label} -> ${p.dir}`);
    return await train(p.config, { overwrite: true, signal: deps.signal });
  } catch (e) {
    if (isUserError(e)) throw new UserError(msg.refused(p.label, e.message));
    throw e;
  }
}

/** Thrown by a study when Ctrl-C stopped a run: the entry point exits 130 with this message. */
export class StudyInterrupted extends Error {
  constructor(readonly dir: string) {
    super(msg.interrupted(dir));
    this.name = 'StudyInterrupted';
  }
}

/** Run the planned runs in order (each reused, resumed or trained); StudyInterrupted on Ctrl-C. */
export async function runAllPlanned(runs: readonly PlannedRun[], deps: RunDeps = {}): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const p of runs) {
    let r: RunRecord;
    try {
      r = await runPlanned(p, deps);
    } catch (e) {
      // Ctrl-C before the run's loop began (while it loaded its data, say) aborts instead of returning.
      if (deps.signal?.aborted && (e as Error).name === 'AbortError') throw new StudyInterrupted(p.dir);
      throw e;
    }
    if (r.status === 'interrupted') throw new StudyInterrupted(p.dir);
    records.push(r);
  }
  return records;
}
