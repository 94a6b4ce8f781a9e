import { UserError } from '../errors.js';
import { lossesMessages as M } from '../messages/losses.js';
import type { PairMask } from './pair-loss.js';

/**
 * How a query's pair with itself is left out of a loss. 'index' (the default): the reference that
 * is the query itself, by position (PairLoss.compute's selfIndex). 'similarity': every positive
 * pair with s >= 1 - epsilon, as the XBM authors' code does; it also drops an older memory copy of
 * the same sample whose features have not moved, and any exact duplicate.
 */
export type SelfExclusion = { kind: 'index' } | { kind: 'similarity'; epsilon: number };

/**
 * Drops the positive pairs with s >= 1 - epsilon from the mask, in place (counts included), before
 * the loss kernel sees it: the decision is on S, so it is a constant of the step like mining.
 */
export function excludeBySimilarity(s: Float32Array, pairs: PairMask, epsilon: number): void {
  const limit = 1 - epsilon;
  for (let k = 0; k < s.length; k++) {
    if (pairs.kind[k] === 1 && s[k] >= limit) {
      pairs.kind[k] = 0;
      pairs.positive--;
    }
  }
}

/** Throws a UserError for a self-exclusion a config cannot mean (absent is 'index'). */
export function validateSelfExclusion(x: SelfExclusion | undefined): void {
  if (x === undefined || x.kind === 'index') return;
  if (x.kind !== 'similarity' || !(x.epsilon > 0 && x.epsilon < 1)) throw new UserError(M.badSelfExclusion(JSON.stringify(x)));
}
