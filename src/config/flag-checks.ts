import { UserError } from '../errors.js';
import { configMessages as M } from '../messages/config.js';

/**
 * The checks of plain numeric flags, shared by every verb that takes train-like flags (train,
 * pretrain): each returns the value or throws a one-line UserError naming the flag.
 */
export function positiveIntFlag(flag: string, x: number): number {
  if (!Number.isInteger(x) || x < 1) throw new UserError(M.positiveInteger(flag, x));
  return x;
}

export function nonNegativeIntFlag(flag: string, x: number): number {
  if (!Number.isInteger(x) || x < 0) throw new UserError(M.nonNegativeInteger(flag, x));
  return x;
}

export function positiveFlag(flag: string, x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new UserError(M.positiveNumber(flag, x));
  return x;
}

/** '1,2,4' -> [1, 2, 4]: whole numbers of at least `min`. */
export function intListFlag(flag: string, text: string, min = 1): number[] {
  const xs = String(text).split(',').filter((s) => s.trim() !== '').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < min)) throw new UserError(M.intList(flag, String(text)));
  return xs;
}
