import { join } from 'node:path';
import { initBackend, type BackendChoice } from '../backend/init-backend.js';
import { tf } from '../backend/tf.js';
import { loadRunDataset } from './run-dataset.js';
import { UserError } from '../errors.js';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { runPaths, type RunPaths } from '../io/run-paths.js';
import type { EvalRow } from '../io/tables.js';
import { evalMessages } from '../messages/eval.js';
import { createModel } from './create-model.js';
import { Rng } from '../random.js';
import { latestCheckpoint, loadWeights } from './checkpoint.js';
import { evaluateDataset } from './evaluate.js';
import { loadRunConfig, recordStatus } from './run-folder.js';

export interface EvaluateRunOptions {
  /** tfjs backend (default: the run's) */
  backend?: BackendChoice;
  /** Recall@K list (default: the run's) */
  ks?: number[];
  /** write analysis/eval.json (default true) */
  write?: boolean;
}

export interface RunEvaluation {
  runDir: string;
  /** the checkpoint evaluated: its iteration and folder name under checkpoints/ */
  checkpoint: { iteration: number; dir: string };
  ks: number[];
  /** the metrics of the primary protocol ('test'), as an eval.csv row at the checkpoint's iteration */
  row: EvalRow;
  /** every row of the dataset's protocol (several for VehicleID's test sets) */
  rows: EvalRow[];
  testImages: number;
  testClasses: number;
  /** analysis/eval.json, or null when not written */
  written: string | null;
}

/**
 * Evaluates a run folder's last checkpoint on the run's test classes (Recall@K, MAP@R, NMI), as
 * the trainer's own evaluation would at that iteration, and writes analysis/eval.json. A run with
 * no checkpoint is a UserError that says why and what to do.
 */
export async function evaluateRun(runDir: string, opts: EvaluateRunOptions = {}): Promise<RunEvaluation> {
  const config = loadRunConfig(runDir);
  const paths = runPaths(runDir);
  const cp = latestCheckpoint(paths.checkpoints);
  if (!cp) {
    throw new UserError(finished(paths) ? evalMessages.checkpointsGone(runDir) : evalMessages.noCheckpointYet(runDir, config.checkpointEvery));
  }
  const ks = opts.ks ?? config.eval.ks;
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new UserError(evalMessages.badKs(ks.join(',')));
  await initBackend({ backend: opts.backend ?? config.backend, threads: config.threads ?? undefined, asyncReadsOnly: true });
  const dataset = await loadRunDataset(config);
  // The run's architecture (a backbone too); every weight then comes from the checkpoint.
  const model = await createModel(config, dataset, new Rng(0));
  let rows: EvalRow[];
  try {
    loadWeights(cp.path, model);
    rows = await evaluateDataset(model, dataset, cp.iteration, { ks, nmi: config.eval.nmi, seed: config.seed });
  } finally {
    tf.disposeVariables();
  }
  // The primary protocol ('test'); VehicleID's further sets ride along in `rows`.
  const row = rows.find((r) => r.split === 'test') ?? rows[0];
  let written: string | null = null;
  if (opts.write ?? true) {
    written = join(paths.analysis, 'eval.json');
    writeJsonAtomic(written, { checkpoint: cp.dir, ...row, ...(rows.length > 1 ? { sets: rows } : {}) });
  }
  return {
    runDir, checkpoint: { iteration: cp.iteration, dir: cp.dir }, ks, row, rows,
    testImages: dataset.test.size, testClasses: dataset.test.classes.length, written,
  };
}

/** Whether run.json says the run ended (so a missing checkpoint was removed, not yet to come). */
function finished(paths: RunPaths): boolean {
  const status = recordStatus(paths);
  return status === 'completed' || status === 'diverged' || status === 'failed';
}
