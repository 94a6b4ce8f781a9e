import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/mining/neighbour-index.js';
import { mineAnchor, mineBatch, storedSimilarity, type IndexedSplit } from '../../src/mining/smart-miner.js';
import { indicesByClass } from '../../src/data/split-rules.js';
import { Rng } from '../../src/random.js';

/** Classes as noisy clusters on the sphere, so neighbourhoods hold positives and negatives. */
function clusteredSplit(seed: number, classes: number, perClass: number, d: number, noise: number): IndexedSplit {
  const rng = new Rng(seed);
  const n = classes * perClass;
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => rng.normal()));
  const e = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    const v = centres[labels[i]].map((c) => c + noise * rng.normal());
    const norm = Math.hypot(...v);
    v.forEach((x, k) => (e[i * d + k] = x / norm));
  }
  return { index: new ExactIndex(e, d), embeddings: e, dim: d, labels };
}

const byClassOf = (labels: Int32Array) => new Map([...indicesByClass(labels)].map(([c, ids]) => [c, Int32Array.from(ids)]));

test("mined samples keep the paper's order: the nearest positive in the neighbourhood, negatives from it farther than that positive", () => {
  const split = clusteredSplit(1, 12, 20, 8, 0.9);
  const byClass = byClassOf(split.labels);
  const rng = new Rng(2);
  const k = 30;
  let checked = 0;
  let inNeighbourhood = 0;
  for (let a = 0; a < split.labels.length; a += 7) {
    const m = mineAnchor(a, split, { negatives: 3, neighbours: k }, rng, new Set([a]), byClass);
    assert.ok(m);
    const s = (b: number) => storedSimilarity(split, a, b);
    assert.equal(split.labels[m.positive], split.labels[a]);
    assert.notEqual(m.positive, a);
    // Naive: the anchor's k neighbours (itself excluded) by a full sort.
    const ranked = Array.from({ length: split.labels.length }, (_, i) => i).filter((i) => i !== a).sort((x, y) => s(y) - s(x) || x - y).slice(0, k);
    const nearestPositive = ranked.find((i) => split.labels[i] === split.labels[a]);
    if (!m.positiveFallback) assert.equal(m.positive, nearestPositive, 'the nearest positive of the neighbourhood');
    else assert.equal(nearestPositive, undefined, 'a fallback only when the neighbourhood has no positive');
    assert.equal(m.negatives.length, 3);
    assert.equal(new Set(m.negatives).size, 3);
    for (const n of m.negatives) {
      assert.notEqual(split.labels[n], split.labels[a], 'a negative has another label');
      if (m.negativeFallbacks === 0) {
        assert.ok(s(n) < s(m.positive), `negative ${n} (${s(n)}) is farther than the positive (${s(m.positive)})`);
        assert.ok(ranked.includes(n), 'from the neighbourhood');
      }
    }
    // Not simply the hardest: every negative closer than the positive was left out.
    for (const i of ranked) if (split.labels[i] !== split.labels[a] && s(i) >= s(m.positive)) assert.ok(!m.negatives.includes(i));
    checked++;
    if (m.negativeFallbacks === 0 && !m.positiveFallback) inNeighbourhood++;
  }
  assert.ok(inNeighbourhood > checked / 2, `most anchors mined inside their neighbourhood (${inNeighbourhood}/${checked})`);
});

test('a smaller neighbourhood gives harder negatives (closer to the anchor)', () => {
  const split = clusteredSplit(3, 10, 30, 8, 1.2);
  const byClass = byClassOf(split.labels);
  const meanNegative = (k: number) => {
    const rng = new Rng(4);
    let sum = 0;
    let count = 0;
    for (let a = 0; a < split.labels.length; a += 3) {
      const m = mineAnchor(a, split, { negatives: 2, neighbours: k }, rng, new Set([a]), byClass)!;
      for (const n of m.negatives) { sum += storedSimilarity(split, a, n); count++; }
    }
    return sum / count;
  };
  assert.ok(meanNegative(10) > meanNegative(200) + 0.05, `${meanNegative(10)} vs ${meanNegative(200)}`);
});

test('a mined batch has the batch size, distinct samples, anchors followed by their positive and negatives', () => {
  const split = clusteredSplit(5, 8, 10, 6, 0.8);
  const byClass = byClassOf(split.labels);
  const rng = new Rng(6);
  const order = new Rng(7).shuffle(Int32Array.from(split.labels.keys()));
  let at = 0;
  const counts = { anchors: 0, positiveFallbacks: 0, negativeFallbacks: 0 };
  for (let b = 0; b < 20; b++) {
    const ids = mineBatch(16, () => order[at++ % order.length], split, { negatives: 2, neighbours: 12 }, rng, byClass, counts);
    assert.equal(ids.length, 16);
    assert.equal(new Set(ids).size, 16);
    // Tuples of 4: anchor, positive (same label), two negatives.
    for (let t = 0; t + 4 <= 16; t += 4) {
      assert.equal(split.labels[ids[t + 1]], split.labels[ids[t]]);
      assert.notEqual(split.labels[ids[t + 2]], split.labels[ids[t]]);
      assert.notEqual(split.labels[ids[t + 3]], split.labels[ids[t]]);
    }
  }
  assert.equal(counts.anchors, 80);
});
