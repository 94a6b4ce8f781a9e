/**
 * Which iterations get a probe snapshot. Every `every` iterations a main snapshot, plus companion
 * snapshots `offset` iterations before each main one (offset < every). So D(t; dt) exists at every
 * main iteration t for the small gaps (the offsets) and for all multiples of `every`, at a cost of
 * (1 + offsets) probe passes per `every` iterations instead of one pass per iteration.
 * Iteration t means "after t training steps"; 0 is the untrained model.
 */
export function snapshotIterations(every: number, offsets: readonly number[], iterations: number): number[] {
  const schedule = snapshotSchedule(every, offsets, iterations);
  const out: number[] = [];
  // In order, without a set: per block of `every` iterations, the companions (largest offset first) then the main one.
  const gaps = [...new Set(schedule.offsets)].sort((a, b) => b - a);
  for (let t = 0; every > 0 && t <= iterations; t += every) {
    for (const g of gaps) if (t - g >= 0) out.push(t - g);
    out.push(t);
  }
  if (every > 0 && iterations % every !== 0) out.push(iterations);
  return out;
}

/**
 * The same schedule as a membership test, in constant memory (the trainer asks "is t a snapshot?"
 * at every iteration; a set of every scheduled iteration would grow with --iterations).
 */
export function snapshotSchedule(every: number, offsets: readonly number[], iterations: number): { readonly offsets: readonly number[]; has(t: number): boolean } {
  const valid = offsets.filter((g) => g > 0 && g < every);
  return {
    offsets: valid,
    has: (t) => every > 0 && Number.isInteger(t) && t >= 0 && t <= iterations &&
      (t % every === 0 || t === iterations || valid.some((g) => (t + g) % every === 0 && t + g <= iterations)),
  };
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

