/** scripts/smart-mining-study.ts's flags. */
import type { TrainFlags } from '../config/train-config.js';
import { CLUSTER_FLAGS, clusterOptions, intFlag, listFlag, parseFlags, type ClusterOptions } from './args.js';
import { EMIT_MODES, type EmitMode } from './cluster.js';
import { SMART_ARMS, SMART_BUDGETS, SMART_REGIME_NAMES, smartRegimes, type SmartStudyOptions } from './smart-mining-study.js';

export function parseSmartMiningStudyArgs(argv: readonly string[]): SmartStudyOptions & { mode: 'local' | EmitMode; cluster: ClusterOptions } {
  const { values: v, mode } = parseFlags(argv, {
    script: 'smart-mining-study',
    values: ['out', 'seeds', 'regimes', 'arms', 'iterations', 'iterations-default', 'iterations-pretrained', 'xbm-size', 'index', 'backend', ...CLUSTER_FLAGS],
    modes: EMIT_MODES,
  });
  const wanted = listFlag(v, 'regimes', 'regime', SMART_REGIME_NAMES);
  const budget = (name: string) => (v.iterations !== undefined ? intFlag(v, 'iterations', 0, 4) : intFlag(v, `iterations-${name}`, SMART_BUDGETS[name], 4));
  return {
    mode: (mode ?? 'local') as 'local' | EmitMode,
    cluster: clusterOptions(v),
    out: v.out ?? 'runs/smart-mining-study',
    seeds: Array.from({ length: intFlag(v, 'seeds', 3) }, (_, i) => i + 1),
    regimes: smartRegimes(budget).filter((r) => (wanted as string[]).includes(r.name)),
    arms: v.arms === undefined ? ['baseline', 'xbm', 'smart'] : listFlag(v, 'arms', 'arm', SMART_ARMS),
    backend: (v.backend ?? 'auto') as TrainFlags['backend'],
    xbmSize: v['xbm-size'] === undefined ? 1000 : Number(v['xbm-size']),
    index: (v.index ?? 'hnsw') as TrainFlags['index'],
  };
}
