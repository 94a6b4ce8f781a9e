/** Numerical tolerances of the test suite, kept in one place. */
export const TOL = {
  /** float32 results against a float64 naive reference */
  float32: 1e-4,
  /** gradients of replaced kernels against the cpu backend (relative) */
  kernelRelative: 1e-4,
  /** exact-ish integer-valued results computed in float */
  exact: 1e-9,
} as const;

/** max |a - b| / max(1, |b|) over two arrays */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}
