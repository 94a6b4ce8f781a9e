/**
 * What the study scripts share (smart-mining-study.ts, xbm-study.ts): a planned run that is reused
 * when it completed with the same configuration, resumed when it was interrupted, trained afresh
 * otherwise; and mean ± sample SD over seeds for their tables.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TrainConfig } from '../src/config/train-config.js';
import { isUserError } from '../src/errors.js';
import { readRunRecord, type RunRecord } from '../src/io/formats/run-record.js';
import { runPaths } from '../src/io/run-paths.js';
import { latestCheckpoint } from '../src/train/checkpoint.js';
import { resumeTraining, train } from '../src/train/trainer.js';

export interface PlannedRun {
  /** what the log line names, e.g. "default xbm seed 2" */
  label: string;
  dir: string;
  config: TrainConfig;
}

/** The planned configuration as config.json holds it: a run is reused or resumed only when this matches. */
const comparable = (c: TrainConfig) => JSON.stringify({ ...c, out: '.', name: undefined });

/**
 * Reuse, resume or train one planned run (see the file comment). A run the trainer refuses (a
 * plan that does not fit its dataset, say) ends the study with the trainer's one-line reason and
 * exit 2; the trainer refuses before it writes anything, and the finished runs stay reusable.
 */
export async function runPlanned(p: PlannedRun, signal: AbortSignal): Promise<RunRecord> {
  try {
    return await reuseResumeOrTrain(p, signal);
  } catch (e) {
    if (!isUserError(e)) throw e;
    process.stderr.write(`${p.label}: ${e.message}\n`);
    process.exit(2);
  }
}

async function reuseResumeOrTrain(p: PlannedRun, signal: AbortSignal): Promise<RunRecord> {
  const paths = runPaths(p.dir);
  const sameConfig = existsSync(paths.config) && comparable(JSON.parse(readFileSync(paths.config, 'utf8'))) === comparable(p.config);
  const record = sameConfig ? readRunRecord(paths.run) : null;
  if (record?.status === 'completed') {
    process.stderr.write(`== ${p.label}: completed, reused (${p.dir})\n`);
    return record;
  }
  if (record && latestCheckpoint(paths.checkpoints)) {
    process.stderr.write(`== ${p.label}: resuming ${p.dir}\n`);
    return resumeTraining(p.dir, { signal });
  }
  process.stderr.write(`== ${p.label} -> ${p.dir}\n`);
  return train(p.config, { overwrite: true, signal });
}

/** An AbortController that Ctrl-C and SIGTERM trip: the run in progress checkpoints and stops. */
export function interruptSignal(): AbortSignal {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  return stop.signal;
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The sample standard deviation; NaN for fewer than two values. */
export const sd = (xs: readonly number[]) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
/** "mean ± SD", or the mean alone for one value. */
export const meanPm = (xs: readonly number[], digits: number) => (xs.length < 2 ? mean(xs).toFixed(digits) : `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`);

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
