import type { AdaptStrategy } from './adapter.js';

/**
 * MoCo's key encoder (He et al., CVPR 2020): the memory is filled by a copy of the embedder whose
 * weights follow theta_k <- m theta_k + (1 - m) theta_q after every update, at the cost of one
 * more forward pass (no gradient) per step. m = 0 is plain XBM. The copy is taken when the memory
 * is first filled (train/key-encoder.ts), not at initialisation: a warm-up would otherwise leave
 * the random initial weights in the keys for about 1 / (1 - m) steps.
 */
export const MOMENTUM_DEFAULT = 0.999; // MoCo's default and the best of its ablation (0.9 to 0.9999)

export const momentum: AdaptStrategy<{ kind: 'momentum'; momentum: number }> = {
  kind: 'momentum',
  describe: 'fill the memory from a momentum key encoder (MoCo), one more forward pass per step; --xbm-momentum m',
  create: (config) => ({ keyMomentum: config.momentum }),
};
