import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ckaSide, linearCka, linearCkaOf } from '../../src/analysis/cka.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/random.js';
import { randomOrthogonal } from '../helpers/random-orthogonal.js';

/**
 * Naive reference: CKA through the centred Gram matrices (HSIC form),
 * <H K H, H L H>_F / (||H K H||_F ||H L H||_F) with K = X X^T, L = Y Y^T and H = I - 11^T / n,
 * a different route from the feature-space formula in src/analysis/cka.ts.
 */
function naiveCka(x: number[][], y: number[][]): number {
  const n = x.length;
  const gram = (m: number[][]) => m.map((a) => m.map((b) => a.reduce((s, v, k) => s + v * b[k], 0)));
  const centre = (k: number[][]) => {
    const rowMean = k.map((r) => r.reduce((s, v) => s + v, 0) / n);
    const all = rowMean.reduce((s, v) => s + v, 0) / n;
    return k.map((r, i) => r.map((v, j) => v - rowMean[i] - rowMean[j] + all));
  };
  const kx = centre(gram(x));
  const ky = centre(gram(y));
  const inner = (a: number[][], b: number[][]) => a.reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * b[i][j], 0), 0);
  return inner(kx, ky) / Math.sqrt(inner(kx, kx) * inner(ky, ky));
}

const matrix = (rng: Rng, n: number, d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
const flat = (m: number[][]) => Float64Array.from(m.flat());

const times = (m: number[][], q: number[][]) => m.map((r) => q[0].map((_, j) => r.reduce((s, v, k) => s + v * q[k][j], 0)));

test('linear CKA equals the naive centred-Gram reference, for equal and different widths', () => {
  const rng = new Rng(1);
  for (const [n, dx, dy] of [[5, 3, 3], [20, 8, 8], [12, 16, 4], [40, 6, 10]]) {
    const x = matrix(rng, n, dx);
    // Y partly determined by X, so CKA is neither ~0 nor 1.
    const y = x.map((r) => Array.from({ length: dy }, (_, j) => r[j % dx] * 0.7 + rng.normal() * 0.5));
    const got = linearCka(flat(x), flat(y), n, dx, dy);
    const ref = naiveCka(x, y);
    assert.ok(Math.abs(got - ref) < 1e-12, `n=${n} dx=${dx} dy=${dy}: ${got} vs ${ref}`);
  }
});

test('CKA(X, X) = 1; rotation, isotropic scaling and a shift of Y leave CKA(X, Y) unchanged', () => {
  const rng = new Rng(2);
  const n = 30, d = 6;
  const x = matrix(rng, n, d);
  assert.ok(Math.abs(linearCka(flat(x), flat(x), n, d) - 1) < 1e-12);
  const rotated = times(x, randomOrthogonal(rng, d)).map((r) => r.map((v) => 3.5 * v + 2));
  assert.ok(Math.abs(linearCka(flat(x), flat(rotated), n, d) - 1) < 1e-12, 'identical up to rotation and scale');
  const y = matrix(rng, n, d).map((r, i) => r.map((v, j) => v + x[i][j]));
  const base = linearCka(flat(x), flat(y), n, d);
  const yRot = times(y, randomOrthogonal(rng, d)).map((r) => r.map((v) => 0.2 * v - 1));
  assert.ok(Math.abs(linearCka(flat(x), flat(yRot), n, d) - base) < 1e-12);
  assert.ok(base < 0.99 && base > 0.1, `the test pair is informative (${base})`);
  // Not invariant to an anisotropic stretch: CKA measures geometry, not just span.
  const stretched = x.map((r) => r.map((v, j) => (j === 0 ? 10 * v : v)));
  assert.ok(linearCka(flat(x), flat(stretched), n, d) < 0.99);
});

test('symmetric, in [0, 1], and NaN for a collapsed (constant) representation', () => {
  const rng = new Rng(3);
  const x = matrix(rng, 15, 4);
  const y = matrix(rng, 15, 5);
  const a = linearCka(flat(x), flat(y), 15, 4, 5);
  const b = linearCka(flat(y), flat(x), 15, 5, 4);
  assert.ok(Math.abs(a - b) < 1e-12 && a >= 0 && a <= 1);
  const constant = new Float64Array(15 * 4).fill(0.5);
  assert.ok(Number.isNaN(linearCka(flat(x), constant, 15, 4)));
  const side = ckaSide(flat(x), 15, 4);
  assert.equal(linearCkaOf(side, side), 1);
});

test('mismatched rows and bad shapes are one-line UserErrors', () => {
  assert.throws(() => linearCkaOf(ckaSide(new Float64Array(6), 3, 2), ckaSide(new Float64Array(8), 4, 2)), (e: unknown) => e instanceof UserError && /same samples/.test(e.message));
  assert.throws(() => linearCka(new Float64Array(5), new Float64Array(6), 3, 2), (e: unknown) => e instanceof UserError && /not 3 rows/.test(e.message));
  assert.throws(() => linearCka(new Float64Array(2), new Float64Array(2), 1, 2), (e: unknown) => e instanceof UserError && /too few/.test(e.message));
});
