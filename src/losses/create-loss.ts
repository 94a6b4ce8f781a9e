import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import { ContrastiveLoss } from './contrastive.js';
import { MultiSimilarityLoss } from './multi-similarity.js';
import type { PairLoss } from './pair-loss.js';
import { TRIPLET_MINING, TripletLoss, type TripletMining } from './triplet.js';

export type LossConfig =
  | { kind: 'contrastive'; margin: number }
  | { kind: 'triplet'; margin: number; mining: TripletMining }
  | { kind: 'multi-similarity'; alpha: number; beta: number; base: number; epsilon: number };

export type LossKind = LossConfig['kind'];

/**
 * Defaults in one place. contrastive: XBM's margin 0.5. triplet: margin 0.1 on cosine
 * similarities, mining 'all'. multi-similarity: the paper's alpha 2, beta 50, base 0.5, epsilon 0.1.
 */
export const LOSS_DEFAULTS = {
  contrastive: { kind: 'contrastive', margin: 0.5 },
  triplet: { kind: 'triplet', margin: 0.1, mining: 'all' },
  'multi-similarity': { kind: 'multi-similarity', alpha: 2, beta: 50, base: 0.5, epsilon: 0.1 },
} as const satisfies { [K in LossKind]: Extract<LossConfig, { kind: K }> };

export const LOSS_KINDS = Object.keys(LOSS_DEFAULTS) as LossKind[];

/** Validates cfg and builds its loss. */
export function createLoss(cfg: LossConfig): PairLoss {
  switch (cfg.kind) {
    case 'contrastive':
      finite(cfg.kind, 'margin', cfg.margin);
      return new ContrastiveLoss(cfg.margin);
    case 'triplet':
      finite(cfg.kind, 'margin', cfg.margin);
      if (cfg.margin < 0) throw new UserError(M.negative(cfg.kind, 'margin', cfg.margin));
      if (!TRIPLET_MINING.includes(cfg.mining)) throw new UserError(M.unknownMining(String(cfg.mining), TRIPLET_MINING));
      return new TripletLoss(cfg.margin, cfg.mining);
    case 'multi-similarity': {
      const { alpha, beta, base, epsilon } = cfg;
      for (const [name, v] of [['alpha', alpha], ['beta', beta], ['base', base], ['epsilon', epsilon]] as const) finite(cfg.kind, name, v);
      if (alpha <= 0) throw new UserError(M.notPositive(cfg.kind, 'alpha', alpha));
      if (beta <= 0) throw new UserError(M.notPositive(cfg.kind, 'beta', beta));
      if (epsilon < 0) throw new UserError(M.negative(cfg.kind, 'epsilon', epsilon));
      return new MultiSimilarityLoss({ alpha, beta, base, epsilon });
    }
    default:
      throw new UserError(M.unknownKind(String((cfg as { kind: unknown }).kind), LOSS_KINDS));
  }
}

function finite(loss: string, param: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new UserError(M.notFinite(loss, param, value));
}
