import { join } from 'node:path';

/** Every path inside a run folder, defined once. See docs/run-folder.md. */
export function runPaths(runDir: string) {
  return {
    root: runDir,
    config: join(runDir, 'config.json'),
    run: join(runDir, 'run.json'),
    metrics: join(runDir, 'metrics.csv'),
    eval: join(runDir, 'eval.csv'),
    probe: join(runDir, 'probe.arrow'),
    snapshots: join(runDir, 'snapshots'),
    snapshot: (iteration: number) => join(runDir, 'snapshots', snapshotFileName(iteration)),
    batches: join(runDir, 'batches'),
    batch: (iteration: number) => join(runDir, 'batches', `iter-${pad(iteration)}.arrow`),
    staleness: join(runDir, 'staleness.csv'),
    analysis: join(runDir, 'analysis'),
    driftCsv: join(runDir, 'analysis', 'drift.csv'),
    driftArrow: join(runDir, 'analysis', 'drift.arrow'),
    driftByClassCsv: join(runDir, 'analysis', 'drift-by-class.csv'),
    neighbourChurnCsv: join(runDir, 'analysis', 'neighbour-churn.csv'),
    warmup: join(runDir, 'analysis', 'warmup.json'),
    report: join(runDir, 'report'),
    checkpoints: join(runDir, 'checkpoints'),
  };
}
export type RunPaths = ReturnType<typeof runPaths>;

const pad = (iteration: number) => String(iteration).padStart(6, '0');

export function snapshotFileName(iteration: number): string {
  return `iter-${pad(iteration)}.arrow`;
}

/** The iteration encoded in a snapshot file name, or null for other files. */
export function iterationFromSnapshotName(name: string): number | null {
  const m = /^iter-(\d+)\.arrow$/.exec(name);
  return m ? Number(m[1]) : null;
}
