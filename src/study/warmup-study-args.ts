/** scripts/warmup-study.ts's flags. */
import type { TrainFlags } from '../config/train-config.js';
import { CLUSTER_FLAGS, clusterOptions, intFlag, parseFlags, type ClusterOptions } from './args.js';
import { EMIT_MODES, type EmitMode } from './cluster.js';
import type { WarmupStudyOptions } from './warmup-study.js';

export function parseWarmupStudyArgs(argv: readonly string[]): WarmupStudyOptions & { mode: 'local' | EmitMode; cluster: ClusterOptions } {
  const { values: v, mode } = parseFlags(argv, {
    script: 'warmup-study',
    values: ['out', 'iterations', 'xbm-size', 'starts', 'backend', 'dataset', 'seed', 'snapshot-every', 'snapshot-offsets', 'probe-size', 'lr', 'schedule', 'lr-step', 'arms', ...CLUSTER_FLAGS],
    modes: EMIT_MODES,
  });
  const iterations = intFlag(v, 'iterations', 600, 4);
  // Numbers the trainer checks (lr, lr-step, sizes) go through as given: resolveTrainConfig refuses a bad one by name.
  const num = (k: string, d: number) => (v[k] === undefined ? d : Number(v[k]));
  return {
    mode: (mode ?? 'local') as 'local' | EmitMode,
    cluster: clusterOptions(v),
    out: v.out ?? 'runs/warmup-study',
    xbmSize: num('xbm-size', 3000),
    starts: (v.starts ?? `${Math.round(iterations / 6)},${Math.round(iterations / 2)}`).split(',').map(Number),
    only: v.arms?.split(','),
    common: {
      dataset: v.dataset ?? 'mnist2',
      backend: (v.backend ?? 'auto') as TrainFlags['backend'],
      seed: num('seed', 1),
      iterations,
      evalEvery: Math.max(1, Math.round(iterations / 6)),
      snapshotEvery: num('snapshot-every', 25),
      snapshotOffsets: v['snapshot-offsets'] ?? '5',
      probeSize: num('probe-size', 512),
      ...(v.lr !== undefined ? { lr: Number(v.lr) } : {}),
      ...(v.schedule !== undefined ? { schedule: v.schedule as TrainFlags['schedule'] } : {}),
      ...(v['lr-step'] !== undefined ? { lrStep: Number(v['lr-step']) } : {}),
    },
  };
}
