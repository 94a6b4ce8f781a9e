import { UserError } from '../../errors.js';
import type { FlagSpec } from '../../flag-spec.js';
import { configMessages } from '../../messages/config.js';
import type { AdaptStrategy } from './adapter.js';

/**
 * MoCo's key encoder (He et al., CVPR 2020): the memory is filled by a copy of the embedder whose
 * weights follow theta_k <- m theta_k + (1 - m) theta_q after every update, at the cost of one
 * more forward pass (no gradient) per step. m = 0 is plain XBM. The copy is taken when the memory
 * is first filled (train/key-encoder.ts), not at initialisation: a warm-up would otherwise leave
 * the random initial weights in the keys for about 1 / (1 - m) steps.
 */
export const MOMENTUM_DEFAULT = 0.999; // MoCo's default and the best of its ablation (0.9 to 0.9999)

export const MOMENTUM_FLAG = {
  name: 'xbm-momentum', type: 'number', field: 'momentum', describe: `with --xbm-adapt momentum: m in [0, 1), 0 = plain XBM (default ${MOMENTUM_DEFAULT}, MoCo's)`,
} as const satisfies FlagSpec;

export const momentum: AdaptStrategy<{ kind: 'momentum'; momentum: number }, typeof MOMENTUM_FLAG> = {
  kind: 'momentum',
  describe: 'fill the memory from a momentum key encoder (MoCo), one more forward pass per step; --xbm-momentum m',
  flags: [MOMENTUM_FLAG],
  fromFlags: (f, take) => {
    const m = take('xbm-momentum', f.xbmMomentum as number | undefined, MOMENTUM_DEFAULT);
    if (typeof m !== 'number' || !(m >= 0 && m < 1)) throw new UserError(configMessages.momentumRange(m));
    return { kind: 'momentum', momentum: m };
  },
  create: (config) => ({ keyMomentum: config.momentum }),
};
