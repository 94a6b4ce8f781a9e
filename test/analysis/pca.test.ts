import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covariance, fitPca, projectRows, symmetricEigen, topEigen } from '../../src/analysis/pca.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/random.js';
import { randomOrthogonal } from '../helpers/random-orthogonal.js';

/**
 * Naive references, written independently of src/analysis/pca.ts: the covariance as a double sum
 * over arrays of numbers, and the full eigen-decomposition by the textbook classical Jacobi method
 * (rotate away the largest off-diagonal entry, one at a time).
 */
function naiveCovariance(x: number[][]): number[][] {
  const n = x.length;
  const d = x[0].length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j], 0) / n);
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1)));
}

function classicalJacobi(a0: number[][]): { values: number[]; vectors: number[][] } {
  const n = a0.length;
  const a = a0.map((r) => [...r]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let iter = 0; iter < 200 * n * n; iter++) {
    let p = 0, q = 1, big = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (Math.abs(a[i][j]) > big) [big, p, q] = [Math.abs(a[i][j]), i, j];
    if (big < 1e-15) break;
    const phi = 0.5 * Math.atan2(2 * a[p][q], a[q][q] - a[p][p]);
    const c = Math.cos(phi), s = Math.sin(phi);
    for (let k = 0; k < n; k++) {
      const akp = a[k][p], akq = a[k][q];
      a[k][p] = c * akp - s * akq;
      a[k][q] = s * akp + c * akq;
    }
    for (let k = 0; k < n; k++) {
      const apk = a[p][k], aqk = a[q][k];
      a[p][k] = c * apk - s * aqk;
      a[q][k] = s * apk + c * aqk;
    }
    for (let k = 0; k < n; k++) {
      const vkp = v[k][p], vkq = v[k][q];
      v[k][p] = c * vkp - s * vkq;
      v[k][q] = s * vkp + c * vkq;
    }
  }
  const order = a.map((_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return { values: order.map((i) => a[i][i]), vectors: order.map((i) => v.map((row) => row[i])) };
}

/** Rows with a chosen spectrum: independent normals scaled per axis, then a random rotation. */
function anisotropic(rng: Rng, n: number, scales: number[]): { flat: Float32Array; rows: number[][] } {
  const d = scales.length;
  const basis = randomOrthogonal(rng, d);
  const rows = Array.from({ length: n }, () => {
    const z = scales.map((s) => s * rng.normal());
    return Array.from({ length: d }, (_, j) => 0.3 + z.reduce((s, zi, i) => s + zi * basis[i][j], 0));
  });
  const flat = Float32Array.from(rows.flat());
  return { flat, rows: rows.map((r) => Array.from(Float32Array.from(r))) };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

test('covariance equals the naive double sum', () => {
  const rng = new Rng(1);
  const { flat, rows } = anisotropic(rng, 30, [3, 2, 1, 0.5, 0.1]);
  const { cov } = covariance(flat, 30, 5);
  const ref = naiveCovariance(rows).flat();
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(cov[i] - ref[i]) < 1e-9, `cov[${i}] ${cov[i]} vs ${ref[i]}`);
});

test('PCA components equal the classical-Jacobi eigenvectors of the naive covariance, up to sign', () => {
  const rng = new Rng(2);
  for (const scales of [[5, 3, 2, 1, 1, 0.5, 0.2, 0.1], [4, 3.9, 1, 1, 0.5, 0.5, 0.3, 0.2, 0.1, 0.1, 0.05, 0.01]]) {
    const d = scales.length;
    const { flat, rows } = anisotropic(rng, 200, scales);
    const pca = fitPca(flat, 200, d, 2);
    const ref = classicalJacobi(naiveCovariance(rows));
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(pca.variances[c] - ref.values[c]) < 1e-8 * ref.values[0], `variance ${c}: ${pca.variances[c]} vs ${ref.values[c]}`);
      assert.ok(Math.abs(Math.abs(dot(pca.components[c], ref.vectors[c])) - 1) < 1e-7, `component ${c} is not the reference eigenvector`);
    }
    const trace = ref.values.reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(pca.totalVariance - trace) < 1e-9 * trace);
  }
});

test('the components are orthonormal and no direction has more variance than the first (brute force)', () => {
  const rng = new Rng(3);
  const d = 64;
  const scales = Array.from({ length: d }, (_, i) => 1 / (1 + i));
  const { flat } = anisotropic(rng, 300, scales);
  const pca = fitPca(flat, 300, d, 2);
  const [v1, v2] = pca.components;
  assert.ok(Math.abs(dot(v1, v1) - 1) < 1e-10 && Math.abs(dot(v2, v2) - 1) < 1e-10 && Math.abs(dot(v1, v2)) < 1e-10);
  const variance = (v: ArrayLike<number>) => {
    const p = projectRows({ ...pca, components: [Float64Array.from(v)] }, flat, 300);
    return p.reduce((s, x) => s + x * x, 0) / (300 - 1);
  };
  assert.ok(Math.abs(variance(v1) - pca.variances[0]) < 1e-8 * pca.variances[0]);
  for (let trial = 0; trial < 200; trial++) {
    // Random directions, and small perturbations of v1 (the sharpest check of a maximum).
    const u = Array.from({ length: d }, (_, i) => (trial % 2 ? rng.normal() : v1[i] + 0.05 * rng.normal()));
    const norm = Math.hypot(...u);
    assert.ok(variance(u.map((x) => x / norm)) <= pca.variances[0] * (1 + 1e-9), `direction ${trial} beats the first component`);
    // Orthogonal to v1, nothing beats v2.
    const w = u.map((x, i) => x - dot(u, v1) * v1[i]);
    const wn = Math.hypot(...w);
    assert.ok(variance(w.map((x) => x / wn)) <= pca.variances[1] * (1 + 1e-9), `direction ${trial} orthogonal to v1 beats the second`);
  }
});

test('projection is (x - reference mean) . v, so the reference snapshot is centred and others shift', () => {
  const rng = new Rng(4);
  const { flat } = anisotropic(rng, 50, [2, 1, 0.5]);
  const pca = fitPca(flat, 50, 3);
  const p = projectRows(pca, flat, 50);
  assert.ok(Math.abs(p.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x, 0)) < 1e-9, 'reference centred');
  const shifted = flat.map((x, i) => x + (i % 3 === 0 ? 1 : 0));
  const q = projectRows(pca, shifted, 50, [7]);
  assert.ok(Math.abs(q[0] - (p[14] + pca.components[0][0])) < 1e-6);
  assert.ok(Math.abs(q[1] - (p[15] + pca.components[1][0])) < 1e-6);
});

test('symmetricEigen diagonalises and topEigen handles repeated and zero eigenvalues', () => {
  const a = Float64Array.from([4, 1, 0, 1, 3, 0.5, 0, 0.5, 1]);
  const { values, vectors } = symmetricEigen(a, 3);
  const ref = classicalJacobi([[4, 1, 0], [1, 3, 0.5], [0, 0.5, 1]]);
  values.forEach((v, i) => assert.ok(Math.abs(v - ref.values[i]) < 1e-12));
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(Math.abs(dot([vectors[c], vectors[3 + c], vectors[6 + c]], ref.vectors[c])) - 1) < 1e-10);
  // Identity: every direction is an eigenvector; diag(0): nothing to find; both must return unit vectors.
  for (const diag of [1, 0]) {
    const m = new Float64Array(16 * 16);
    for (let i = 0; i < 16; i++) m[i * 16 + i] = diag;
    const top = topEigen(m, 16, 2);
    assert.deepEqual(top.values.map((v) => Math.round(v * 1e9) / 1e9), [diag, diag]);
    for (const v of top.vectors) assert.ok(Math.abs(dot(v, v) - 1) < 1e-9);
  }
});

test('bad shapes and component counts are one-line UserErrors', () => {
  assert.throws(() => fitPca(new Float32Array(10), 3, 3), (e: unknown) => e instanceof UserError && /not 3 rows of width 3/.test(e.message));
  assert.throws(() => fitPca(new Float32Array(3), 1, 3), (e: unknown) => e instanceof UserError && /too few/.test(e.message));
  assert.throws(() => fitPca(new Float32Array(12), 4, 3, 4), (e: unknown) => e instanceof UserError && /ask for 1 to 3/.test(e.message));
});

test('a flat spectrum (slow subspace convergence, d = 40) still gives the reference components', () => {
  const rng = new Rng(5);
  const d = 40;
  const scales = Array.from({ length: d }, (_, i) => 1 - 0.01 * i);
  const { flat, rows } = anisotropic(rng, 400, scales);
  const pca = fitPca(flat, 400, d, 2);
  const ref = classicalJacobi(naiveCovariance(rows));
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(pca.variances[c] - ref.values[c]) < 1e-9 * ref.values[0], `variance ${c}: ${pca.variances[c]} vs ${ref.values[c]}`);
    assert.ok(Math.abs(Math.abs(dot(pca.components[c], ref.vectors[c])) - 1) < 1e-8, `component ${c}: |cos| = ${Math.abs(dot(pca.components[c], ref.vectors[c]))}`);
  }
});
