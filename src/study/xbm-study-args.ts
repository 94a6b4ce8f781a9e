/** scripts/xbm-study.ts's flags, checked before anything is written or trained. */
import type { TrainFlags } from '../config/train-config.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { UserError } from '../errors.js';
import { studyMessages as msg } from '../messages/study.js';
import type { ReducerKind } from '../losses/reducers/registry.js';
import type { XbmAdaptKind } from '../memory/adapt/index.js';
import { REDUCER_KINDS } from '../losses/reducers/registry.js';
import { ADAPT_KINDS } from '../memory/adapt/index.js';
import { CLUSTER_FLAGS, clusterOptions, intFlag, listFlag, parseFlags, type ClusterOptions } from './args.js';
import { autoPolicies, studyAdapts, studyReducers } from './arms.js';
import { DEFAULT_BUDGETS, xbmRegimes } from './regimes.js';
import type { XbmStudyMode, XbmStudyOptions } from './xbm-study.js';

export interface XbmStudyArgs {
  options: XbmStudyOptions;
  mode: XbmStudyMode;
  cluster: ClusterOptions;
}

export function parseXbmStudyArgs(argv: readonly string[]): XbmStudyArgs {
  const perRegime = Object.keys(DEFAULT_BUDGETS).map((r) => `iterations-${r}`);
  const { values: v, mode } = parseFlags(argv, {
    script: 'xbm-study',
    values: ['out', 'seeds', 'regimes', 'fashion', 'iterations', ...perRegime, 'backend', 'reducers', 'adapts', 'policies', 'configuration', 'guard-arm', ...CLUSTER_FLAGS],
    modes: ['plan', 'slurm', 'k8s'],
  });
  const iterationsOf = Object.fromEntries(Object.keys(DEFAULT_BUDGETS).filter((r) => v[`iterations-${r}`] !== undefined).map((r) => [r, intFlag(v, `iterations-${r}`, 0, 4)]));
  const regimes = xbmRegimes({
    iterations: v.iterations === undefined ? undefined : intFlag(v, 'iterations', 0, 4),
    iterationsOf,
    fashion: v.fashion ?? null,
    wanted: v.regimes?.split(',').map((s) => s.trim()),
  });
  const seedCount = intFlag(v, 'seeds', 3);
  const options: XbmStudyOptions = {
    out: v.out ?? 'runs/xbm-study',
    seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
    regimes,
    backend: (v.backend ?? 'auto') as TrainFlags['backend'],
    reducers: v.reducers === undefined ? studyReducers() : listFlag(v, 'reducers', 'reducer', REDUCER_KINDS),
    adapts: v.adapts === undefined ? studyAdapts() : listFlag(v, 'adapts', '--xbm-adapt strategy', ADAPT_KINDS),
    policies: listFlag(v, 'policies', 'auto policy', autoPolicies()),
    configuration: configurationFlag(v.configuration),
    guardArm: guardArmFlag(v['guard-arm']),
  };
  return { options, mode: (mode ?? 'local') as XbmStudyMode, cluster: clusterOptions(v) };
}

/**
 * --configuration: `default` (what `train` uses with default flags: config/study-choice.ts) or
 * `<reducer>:<adapt>`; absent: stage A screens the registries.
 */
export function configurationFlag(text: string | undefined): { reducer: ReducerKind; adapt: XbmAdaptKind } | null {
  if (text === undefined) return null;
  if (text.trim() === 'default') return { reducer: STUDY_CHOICE.reducer, adapt: STUDY_CHOICE.adapt };
  const [reducer, adapt, extra] = text.split(':').map((s) => s.trim());
  if (extra !== undefined || !(REDUCER_KINDS as readonly string[]).includes(reducer) || !(ADAPT_KINDS as readonly string[]).includes(adapt ?? '')) {
    throw new UserError(msg.badConfiguration(text, REDUCER_KINDS, ADAPT_KINDS));
  }
  return { reducer: reducer as ReducerKind, adapt: adapt as XbmAdaptKind };
}

/** --guard-arm yes|no (default yes): whether stage B runs the default policy with the guard. */
function guardArmFlag(text: string | undefined): boolean {
  if (text === undefined || text === 'yes') return true;
  if (text === 'no') return false;
  throw new UserError(msg.badYesNo('guard-arm', text));
}
