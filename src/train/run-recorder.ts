import { randomUUID } from 'node:crypto';
import { tf } from '../backend/tf.js';
import type { BackendInfo } from '../backend/init-backend.js';
import type { TrainConfig } from '../config/train-config.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../errors.js';
import { PACKAGE_VERSION as VERSION } from '../package-version.js';
import { trainMessages as M } from '../messages/train.js';
import type { RunPaths } from '../io/run-paths.js';
import { readRunRecord, writeRunRecord, type RunRecord } from '../io/formats/run-record.js';
import type { Instruments } from './instruments.js';
import { describeProtocol } from './evaluate.js';
import type { XbmController } from './xbm-controller.js';

/**
 * run.json: what happened in a run. Opened once per session (new, or reopened on resume), kept
 * in memory with the step times, and written at the start and when the session ends.
 */
export class RunRecorder {
  private readonly stepTimes: number[] = [];
  private readonly wallStart = Date.now();
  private readonly wallBefore: number;

  private constructor(private readonly path: string, readonly record: RunRecord) {
    this.wallBefore = record.timings.wallSeconds;
  }

  static create(paths: RunPaths, config: TrainConfig, dataset: Dataset, backend: BackendInfo, parameters: number, probeSize: number): RunRecorder {
    const record: RunRecord = {
      schemaVersion: 1,
      runId: randomUUID(),
      name: config.name,
      status: 'running',
      dataset: {
        spec: dataset.spec, description: dataset.description, imageShape: dataset.imageShape,
        trainSize: dataset.train.size, testSize: dataset.test.size, trainClasses: dataset.train.classes.length, testClasses: dataset.test.classes.length,
        protocol: describeProtocol(dataset.evaluation),
      },
      versions: { xbmDrift: VERSION, node: process.version, tfjs: tf.version_core },
      backend,
      seed: config.seed,
      startedAt: new Date().toISOString(),
      endedAt: null,
      resumes: [],
      iterationsDone: 0,
      iterations: config.iterations,
      batchSize: config.batchSize,
      parameters,
      xbm: { size: config.xbm.size, weight: config.xbm.weight, bytes: 0, requested: config.xbm.start, start: null, paused: false, threshold: NaN, span: 0, decision: null, events: [] },
      timings: { msPerIteration: NaN, msPerIterationP90: NaN, wallSeconds: 0, snapshotSeconds: 0, evalSeconds: 0, trainSeconds: 0 },
      final: null,
      collapse: null,
      probe: probeSize ? { size: probeSize } : null,
      defaultsApplied: config.defaultsApplied ?? [],
    };
    const r = new RunRecorder(paths.run, record);
    r.write();
    return r;
  }

  /** The record of a run being resumed at `iteration`, marked running again; written by the caller once its checkpoint is restored. */
  static reopen(paths: RunPaths, backend: BackendInfo, iteration: number): RunRecorder {
    const record = readRunRecord(paths.run);
    if (!record) throw new UserError(M.unreadableFile(paths.run, 'missing'));
    record.resumes.push({ at: new Date().toISOString(), iteration });
    record.status = 'running';
    record.backend = backend;
    return new RunRecorder(paths.run, record);
  }

  get runId(): string {
    return this.record.runId;
  }

  stepTook(ms: number): void {
    this.stepTimes.push(ms);
  }

  /** Close the session: status, timings, final metrics, the XBM decision and collapse signals. */
  finish(status: RunRecord['status'], s: { iteration: number; memoryBytes: number; xbm: XbmController; instruments: Instruments; message?: string }): void {
    const r = this.record;
    r.status = status;
    // A resumed run that finishes no longer carries the interrupt's "continue with --resume".
    if (s.message) r.message = s.message;
    else delete r.message;
    r.endedAt = new Date().toISOString();
    r.iterationsDone = s.iteration;
    r.xbm = { ...r.xbm, bytes: s.memoryBytes, ...s.xbm.state() };
    const sorted = [...this.stepTimes].sort((a, b) => a - b);
    r.timings = {
      msPerIteration: sorted.length ? sorted[Math.floor(sorted.length / 2)] : r.timings.msPerIteration,
      msPerIterationP90: sorted.length ? sorted[Math.floor(sorted.length * 0.9)] : r.timings.msPerIterationP90,
      wallSeconds: (Date.now() - this.wallStart) / 1000 + this.wallBefore,
      snapshotSeconds: s.instruments.snapshotMs / 1000,
      evalSeconds: s.instruments.evalMs / 1000,
      trainSeconds: this.stepTimes.reduce((a, b) => a + b, 0) / 1000,
    };
    r.final = s.instruments.lastEval;
    r.collapse = { collapsed: s.instruments.collapse.collapsed, signals: s.instruments.collapse.signals };
    this.write();
  }

  write(): void {
    writeRunRecord(this.path, this.record);
  }
}
