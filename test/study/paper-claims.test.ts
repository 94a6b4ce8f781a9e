/**
 * The paper's claims as verdicts (src/study/paper-claims.ts): the difference and its standard error
 * against a naive Welch computation, and each claim's rule on constructed points where the answer
 * is known: holds, does not hold, and not testable (too few seeds) for every claim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchClaims, beats, claimsMarkdown, compare, lossGainClaim, memoryClaim, paperClaims, samplerClaim, slowDriftClaim, smallBatchClaims,
  type ClaimPoint, type DriftSeries,
} from '../../src/study/paper-claims.js';

/** Welch's standard error, written out term by term. */
function naiveSe(a: number[], b: number[]): number {
  const variance = (xs: number[]) => {
    let m = 0;
    for (const x of xs) m += x;
    m /= xs.length;
    let s = 0;
    for (const x of xs) s += (x - m) * (x - m);
    return s / (xs.length - 1);
  };
  return Math.sqrt(variance(a) / a.length + variance(b) / b.length);
}

test('compare: the difference of means and Welch standard error; beats needs more than twice it', () => {
  const a = [0.61, 0.64, 0.6];
  const b = [0.5, 0.58, 0.52, 0.55];
  const c = compare(a, b);
  assert.ok(Math.abs(c.d - (0.6166666666666667 - 0.5375)) < 1e-12);
  assert.ok(Math.abs(c.se - naiveSe(a, b)) < 1e-12);
  assert.equal(beats(c), c.d > 2 * naiveSe(a, b));
  assert.equal(beats(compare([0.5, 0.6, 0.7], [0.49, 0.59, 0.69])), false, 'a one-point lead inside a ten-point spread');
  assert.equal(beats(compare([0.7, 0.7, 0.7], [0.6, 0.6, 0.6])), true, 'no spread: any positive lead counts');
  assert.equal(beats(compare([0.6, 0.6], [0.6, 0.6])), false, 'a tie is not a win');
});

/** Seeds 1-3 around a mean, spread ±s. */
const seeds = (mean: number, s = 0.005) => [mean - s, mean, mean + s];
const at = (o: Omit<ClaimPoint, 'seed' | 'r1'>, mean: number, s?: number): ClaimPoint[] => seeds(mean, s).map((r1, i) => ({ ...o, seed: String(i + 1), r1 }));

test('batch claim: one row per loss and XBM setting, largest against smallest batch', () => {
  const points = [
    ...at({ loss: 'contrastive', batch: 16, xbm: 'off' }, 0.5), ...at({ loss: 'contrastive', batch: 64, xbm: 'off' }, 0.6),
    ...at({ loss: 'contrastive', batch: 16, xbm: 'on' }, 0.55), ...at({ loss: 'contrastive', batch: 64, xbm: 'on' }, 0.55),
    // Memory and sampler points never enter the batch figure.
    ...at({ loss: 'contrastive', batch: 64, xbm: 'on', memory: 256 }, 0.1), ...at({ loss: 'contrastive', batch: 64, xbm: 'on', sampler: 'shuffle' }, 0.9),
  ];
  const rows = batchClaims(points);
  assert.deepEqual(rows.map((r) => [r.setting, r.verdict]), [
    ['contrastive, without XBM: batch 64 vs 16', 'holds'],
    ['contrastive, with XBM: batch 64 vs 16', 'does not hold here'],
  ]);
  assert.match(rows[0].measured, /0\.600 ± 0\.005 \(n=3\) vs 0\.500 ± 0\.005 \(n=3\): \+10\.0 ± 0\.4 points/);
  assert.equal(batchClaims(points.filter((p) => p.batch === 16))[0].verdict, 'not testable here');
});

test('small batch with XBM against 4x larger without: every batch that has its 4x partner, per loss', () => {
  const points = [
    ...at({ loss: 'triplet', batch: 16, xbm: 'on' }, 0.62), ...at({ loss: 'triplet', batch: 64, xbm: 'off' }, 0.6),
    ...at({ loss: 'triplet', batch: 32, xbm: 'on' }, 0.5), ...at({ loss: 'triplet', batch: 128, xbm: 'off' }, 0.7),
    ...at({ loss: 'triplet', batch: 64, xbm: 'on' }, 0.5),
  ];
  assert.deepEqual(smallBatchClaims(points).map((r) => [r.setting, r.verdict]), [
    ['triplet: batch 16 with XBM vs 64 without', 'holds'],
    ['triplet: batch 32 with XBM vs 128 without', 'does not hold here'],
  ]);
  // One seed a side: not testable, and the row says how many seeds there were.
  const one = smallBatchClaims(points.filter((p) => p.seed === '1'));
  assert.ok(one.every((r) => r.verdict === 'not testable here' && /seeds completed: 1 and 1/.test(r.measured)));
});

test('sampler claim: with XBM, shuffle within one point of P x K holds; further below does not; the no-XBM gap is context', () => {
  const pxk = [...at({ loss: 'contrastive', batch: 64, xbm: 'on' }, 0.6), ...at({ loss: 'contrastive', batch: 64, xbm: 'off' }, 0.55)];
  const shuffle = (on: number) => [...at({ loss: 'contrastive', batch: 64, xbm: 'on', sampler: 'shuffle' }, on), ...at({ loss: 'contrastive', batch: 64, xbm: 'off', sampler: 'shuffle' }, 0.45)];
  const close = samplerClaim([...pxk, ...shuffle(0.592)], 'contrastive', 64);
  assert.equal(close[0].verdict, 'holds');
  assert.match(close[0].measured, /without XBM: -10\.0 ± 0\.4 points/);
  assert.equal(samplerClaim([...pxk, ...shuffle(0.585)], 'contrastive', 64)[0].verdict, 'does not hold here');
  assert.equal(samplerClaim(pxk, 'contrastive', 64)[0].verdict, 'not testable here');
});

test('loss gain claim: gains are paired by seed, then the favoured loss must beat each other loss', () => {
  // Contrastive gains 5 points in every seed; MS gains 1; triplet 5 (a tie is not "the most").
  const gain = (loss: string, off: number[], g: number): ClaimPoint[] => off.flatMap((r1, i) => [
    { loss, batch: 64, xbm: 'off' as const, seed: String(i + 1), r1 },
    { loss, batch: 64, xbm: 'on' as const, seed: String(i + 1), r1: r1 + g },
  ]);
  // Wide spread across seeds, constant gain within a seed: pairing is what makes the gain exact.
  const points = [...gain('contrastive', [0.3, 0.5, 0.7], 0.05), ...gain('multi-similarity', [0.2, 0.6, 0.4], 0.01), ...gain('triplet', [0.4, 0.5, 0.6], 0.05)];
  const rows = lossGainClaim(points, 64);
  assert.deepEqual(rows.map((r) => [r.setting, r.verdict]), [
    ['batch 64: gain of contrastive vs gain of multi-similarity', 'holds'],
    ['batch 64: gain of contrastive vs gain of triplet', 'does not hold here'],
  ]);
  assert.match(rows[0].measured, /^gain 5\.0 ± 0\.0 vs 1\.0 ± 0\.0 points \(n=3, 3\)/);
  // A seed without its partner point is left out of the gain.
  const unpaired = lossGainClaim(points.filter((p) => !(p.loss === 'contrastive' && p.xbm === 'off' && p.seed !== '1')), 64);
  assert.equal(unpaired[0].verdict, 'not testable here');
});

test('memory claim: the largest M (the plan memory, from the batch figure) against the smallest', () => {
  const points = [...at({ loss: 'contrastive', batch: 64, xbm: 'on', memory: 256 }, 0.55), ...at({ loss: 'contrastive', batch: 64, xbm: 'on', memory: 1024 }, 0.58), ...at({ loss: 'contrastive', batch: 64, xbm: 'on' }, 0.6)];
  const rows = memoryClaim(points, { loss: 'contrastive', batch: 64, memory: 3000 });
  assert.equal(rows[0].setting, 'contrastive, batch 64: M = 3000 vs 256');
  assert.equal(rows[0].verdict, 'holds');
  const flat = memoryClaim([...at({ loss: 'contrastive', batch: 64, xbm: 'on', memory: 256 }, 0.6), ...at({ loss: 'contrastive', batch: 64, xbm: 'on' }, 0.6)], { loss: 'contrastive', batch: 64, memory: 3000 });
  assert.equal(flat[0].verdict, 'does not hold here');
  const one = memoryClaim(at({ loss: 'contrastive', batch: 64, xbm: 'on' }, 0.6), { loss: 'contrastive', batch: 64, memory: 3000 });
  assert.deepEqual([one[0].verdict, one[0].measured], ['not testable here', 'memory sizes completed: 1 (M = 3000)']);
});

test('slow drift: the first D(t; 100) above 0.7 in every seed and the last quarter below it', () => {
  const series = (seed: string, values: number[]): DriftSeries => ({ seed, gap: 100, iterations: 100 * values.length, points: values.map((d, i) => ({ iteration: 100 * (i + 1), d })) });
  const slow = [series('1', [1.2, 0.5, 0.3, 0.2]), series('2', [0.9, 0.4, 0.2, 0.1])];
  const rows = slowDriftClaim(slow, 'long runs');
  assert.equal(rows[0].verdict, 'holds');
  // Last quarter of 400 iterations: iterations >= 300, mean of 0.3 and 0.2.
  assert.match(rows[0].measured, /first reading \(t = 100\/100\) 1\.20, 0\.90; last quarter 0\.25, 0\.15/);
  assert.equal(slowDriftClaim([slow[0], series('2', [0.6, 0.4, 0.2, 0.1])], 'x')[0].verdict, 'does not hold here', 'one seed starts below 0.7');
  assert.equal(slowDriftClaim([slow[0], series('2', [1.5, 1.2, 0.9, 0.8])], 'x')[0].verdict, 'does not hold here', 'one seed stays large');
  assert.equal(slowDriftClaim([slow[0]], 'x')[0].verdict, 'not testable here');
  assert.equal(slowDriftClaim([slow[0], { ...slow[1], gap: 50 }], 'x')[0].verdict, 'not testable here', 'only D(t; 100) counts');
});

test('the whole table: every claim has a row, and the markdown has one line per row', () => {
  const points = [
    ...[16, 64].flatMap((batch) => (['off', 'on'] as const).flatMap((xbm) => at({ loss: 'contrastive', batch, xbm }, 0.5 + batch / 1000 + (xbm === 'on' ? 0.02 : 0)))),
    ...at({ loss: 'contrastive', batch: 64, xbm: 'on', memory: 256 }, 0.5),
  ];
  const rows = paperClaims({ points, memory: 3000, loss: 'contrastive', batch: 64, drift: [], driftSource: 'none' });
  const claims = new Set(rows.map((r) => r.claim));
  assert.equal(claims.size, 6, [...claims].join('; '));
  const md = claimsMarkdown(rows);
  assert.equal(md.trim().split('\n').length, rows.length + 2);
  assert.ok(rows.every((r) => md.includes(`**${r.verdict}**`)));
});
