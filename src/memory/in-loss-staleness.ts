import type { ReturnedSample } from './adapt/adapter.js';
// The row type is memory-staleness.csv's contract: io/ owns it.
import type { AgeBinStats } from '../io/formats/memory-staleness.js';

export type { AgeBinStats };

export function ageBin(age: number): number {
  return age <= 0 ? 0 : 2 ** Math.floor(Math.log2(age));
}

/**
 * returned: the batch's samples found in the memory before the enqueue (their ages >= 1);
 * slotAges: the age of every row of the view the loss saw (columns, after the enqueue);
 * selfSlots: each query's own column (-1: none); columnActivity: active pairs per column (null:
 * the memory loss was off). Bins with neither rows nor returned samples are left out.
 */
export function inLossStaleness(
  returned: readonly ReturnedSample[],
  slotAges: Int32Array,
  selfSlots: Int32Array | null,
  queries: number,
  columnActivity: Int32Array | null,
): AgeBinStats[] {
  const bins = new Map<number, AgeBinStats>();
  const bin = (age: number) => {
    const key = ageBin(age);
    let b = bins.get(key);
    if (!b) {
      b = { age_bin: key, entries: 0, pairs: 0, active_pairs: columnActivity ? 0 : NaN, returned: 0, mean_sq_drift: NaN, max_sq_drift: NaN };
      bins.set(key, b);
    }
    return b;
  };
  const selfCount = new Map<number, number>();
  for (const s of selfSlots ?? []) if (s >= 0) selfCount.set(s, (selfCount.get(s) ?? 0) + 1);
  slotAges.forEach((age, j) => {
    const b = bin(age);
    b.entries++;
    b.pairs += queries - (selfCount.get(j) ?? 0);
    if (columnActivity) b.active_pairs += columnActivity[j];
  });
  const sums = new Map<number, number>();
  for (const r of returned) {
    const b = bin(r.age);
    b.returned++;
    sums.set(b.age_bin, (sums.get(b.age_bin) ?? 0) + r.sqDrift);
    b.max_sq_drift = Number.isNaN(b.max_sq_drift) ? r.sqDrift : Math.max(b.max_sq_drift, r.sqDrift);
  }
  for (const [key, sum] of sums) bins.get(key)!.mean_sq_drift = sum / bins.get(key)!.returned;
  return [...bins.values()].sort((a, b) => a.age_bin - b.age_bin);
}
