import { join } from 'node:path';

/**
 * Where python/xbm_drift_log.py puts its numpy files inside a run folder (its RAW constant; a test
 * checks the two agree). `xbm-drift import` turns them into probe.arrow and snapshots/*.arrow.
 */
export const RAW_LAYOUT = {
  dir: 'raw',
  probeSampleIds: 'raw/probe-sample-ids.npy',
  probeLabels: 'raw/probe-labels.npy',
  snapshots: 'raw/snapshots',
} as const;

export function rawPaths(runDir: string) {
  return {
    dir: join(runDir, RAW_LAYOUT.dir),
    probeSampleIds: join(runDir, ...RAW_LAYOUT.probeSampleIds.split('/')),
    probeLabels: join(runDir, ...RAW_LAYOUT.probeLabels.split('/')),
    snapshots: join(runDir, ...RAW_LAYOUT.snapshots.split('/')),
  };
}

const pad = (iteration: number) => String(iteration).padStart(6, '0');

export function rawSnapshotName(iteration: number): string {
  return `iter-${pad(iteration)}.npy`;
}

/** The iteration of a raw snapshot name (iter-000500.npy), or null for other names. */
export function iterationFromRawName(name: string): number | null {
  const m = /^iter-(\d+)\.npy$/.exec(name);
  return m ? Number(m[1]) : null;
}
