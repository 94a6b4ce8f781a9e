/**
 * Which iterations get a probe snapshot. Every `every` iterations a main snapshot, plus companion
 * snapshots `offset` iterations before each main one (offset < every). So D(t; dt) exists at every
 * main iteration t for the small gaps (the offsets) and for all multiples of `every`, at a cost of
 * (1 + offsets) probe passes per `every` iterations instead of one pass per iteration.
 * Iteration t means "after t training steps"; 0 is the untrained model.
 */
export function snapshotIterations(every: number, offsets: readonly number[], iterations: number): number[] {
  if (every <= 0) return [];
  const set = new Set<number>();
  for (let t = 0; t <= iterations; t += every) {
    set.add(t);
    for (const g of offsets) if (g > 0 && g < every && t - g >= 0) set.add(t - g);
  }
  set.add(iterations);
  return [...set].sort((a, b) => a - b);
}

/**
 * The gap online drift is measured at: S itself when it is below the snapshot spacing (it becomes
 * an offset), else the smallest multiple of the spacing >= S, i.e. the smallest scheduled gap >= S.
 * Drift grows with the gap, so this errs on the side of "too stale" (a later start, never earlier).
 */
export function scheduledGap(gap: number | null, every: number): number | null {
  if (gap === null || every <= 0) return null;
  return gap < every ? gap : Math.ceil(gap / every) * every;
}

