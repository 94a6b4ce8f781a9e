import type { BackendInfo } from '../backend/init-backend.js';
import type { EvalRow } from '../io/tables.js';
import type { TrainConfig } from '../config/train-config.js';
import type { XbmController } from './xbm-controller.js';

/** run.json: what happened in a run (config.json says what was asked). */
export interface RunRecord {
  schemaVersion: 1;
  runId: string;
  name: string;
  status: 'running' | 'completed' | 'interrupted' | 'diverged' | 'failed';
  message?: string;
  dataset: { spec: string; description: string; imageShape: readonly number[]; trainSize: number; testSize: number; trainClasses: number; testClasses: number };
  versions: { xbmDrift: string; node: string; tfjs: string };
  backend: BackendInfo;
  seed: number;
  startedAt: string;
  endedAt: string | null;
  resumes: { at: string; iteration: number }[];
  iterationsDone: number;
  iterations: number;
  batchSize: number;
  parameters: number;
  xbm: {
    size: number;
    weight: number;
    bytes: number;
    requested: TrainConfig['xbm']['start'];
  } & ReturnType<XbmController['state']>;
  timings: { msPerIteration: number; msPerIterationP90: number; wallSeconds: number; snapshotSeconds: number; evalSeconds: number; trainSeconds: number };
  final: EvalRow | null;
  collapse: { collapsed: boolean; signals: unknown[] } | null;
  probe: { size: number } | null;
}
