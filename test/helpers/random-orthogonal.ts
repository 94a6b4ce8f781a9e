import type { Rng } from '../../src/random.js';

/** A random d x d orthogonal basis (rows): Gram-Schmidt of a matrix of standard normals drawn row by row. */
export function randomOrthogonal(rng: Rng, d: number): number[][] {
  const basis: number[][] = [];
  for (let r = 0; r < d; r++) {
    const v = Array.from({ length: d }, () => rng.normal());
    for (const b of basis) {
      const dot = v.reduce((s, x, i) => s + x * b[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * b[i];
    }
    const norm = Math.hypot(...v);
    basis.push(v.map((x) => x / norm));
  }
  return basis;
}
