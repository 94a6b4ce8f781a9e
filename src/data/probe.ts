import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';
import { Rng } from '../random.js';
import { indicesByClass } from './split-rules.js';
import type { Split } from './types.js';

/**
 * A fixed, seeded subset of the training split for measuring drift: sorted sample ids,
 * stratified across classes as evenly as possible. Every class gets min(count, L) samples for
 * the largest level L that fits; the few left over go one each to seeded random classes that
 * still have images. So per-class counts differ by at most one, except for classes too small
 * to reach the level, which are taken whole.
 */
export function selectProbe(split: Split, size: number, seed: number): Int32Array {
  if (!Number.isInteger(size) || size < 1) throw new UserError(dataMessages.probeSizeInvalid(size));
  if (size > split.size) throw new UserError(dataMessages.probeTooLarge(size, split.size));
  const rng = new Rng(seed);
  const byClass = indicesByClass(split.labels);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const counts = classes.map((c) => byClass.get(c)!.length);
  const taken = (level: number) => counts.reduce((s, n) => s + Math.min(n, level), 0);
  // largest level L with taken(L) <= size (taken is monotone in L)
  let lo = 0;
  let hi = Math.max(...counts);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (taken(mid) <= size) lo = mid;
    else hi = mid - 1;
  }
  const quota = counts.map((n) => Math.min(n, lo));
  const roomy = rng.shuffle(classes.map((_, i) => i).filter((i) => counts[i] > lo));
  for (let r = 0, left = size - taken(lo); r < left; r++) quota[roomy[r]]++;
  const ids: number[] = [];
  classes.forEach((c, i) => {
    const chosen = rng.shuffle(byClass.get(c)!.slice()).slice(0, quota[i]);
    for (const id of chosen) ids.push(id);
  });
  return Int32Array.from(ids).sort();
}
