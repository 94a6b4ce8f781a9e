import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/backend/tf.js';
import { normaliseTrainConfig, resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { createLoss } from '../../src/losses/create-loss.js';
import { CrossBatchMemory } from '../../src/memory/cross-batch-memory.js';
import { PARITY_MODES, parityMode } from '../../src/memory/parity/registry.js';
import { xbmLoss } from '../../src/memory/xbm-loss.js';
import { configMessages as CM } from '../../src/messages/config.js';
import { Rng } from '../../src/random.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { TOL, maxRelativeError } from '../helpers/tolerances.js';
import { labels, matrix, randomLabels, randomRows, toMat, userError } from '../losses/harness.js';
import { finiteDifference, type Mat } from '../losses/naive.js';

await tf.setBackend('cpu');

/*
 * Each --parity mode against a naive float64 reference written from that implementation's own
 * definition (read in its source; see the parity table in docs/pytorch.md), not from our kernels: values and
 * gradients w.r.t. the batch embeddings, for the contrastive loss (margin 0.5) with a memory that
 * wraps and holds an unmoved older copy of a batch sample (where self-exclusion by similarity and
 * by index differ).
 */
const D = 4;
const MARGIN = 0.5;
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, k) => s + v * b[k], 0);

/** research-xbm ContrastiveLoss: positives with s < 1 - 1e-5 add 1 - s, negatives with s > margin add s; / batch size. */
function researchXbmContrastive(q: Mat, ql: number[], r: Mat, rl: number[]): number {
  let total = 0;
  q.forEach((qi, i) => {
    r.forEach((rj, j) => {
      const s = dot(qi, rj);
      if (rl[j] === ql[i] && s < 1 - 1e-5) total += 1 - s;
      if (rl[j] !== ql[i] && s > MARGIN) total += s;
    });
  });
  return total / q.length;
}

/** PML ContrastiveLoss(pos_margin=1, neg_margin=margin, CosineSimilarity) + AvgNonZeroReducer, self comparisons removed by index. */
function pmlContrastive(q: Mat, ql: number[], r: Mat, rl: number[], self: number[]): number {
  const pos: number[] = [];
  const neg: number[] = [];
  q.forEach((qi, i) => {
    r.forEach((rj, j) => {
      if (j === self[i]) return;
      const s = dot(qi, rj);
      if (rl[j] === ql[i]) pos.push(Math.max(0, 1 - s));
      else neg.push(Math.max(0, s - MARGIN));
    });
  });
  const avgNonZero = (xs: number[]) => {
    const nz = xs.filter((x) => x > 0);
    return nz.length === 0 ? 0 : nz.reduce((a, b) => a + b, 0) / nz.length;
  };
  return avgNonZero(pos) + avgNonZero(neg);
}

/** Per-query contrastive loss (1 - s over positives, relu(s - margin) over negatives, diagonal removed), Keras mean over queries. */
function tfSimilarityContrastive(q: Mat, ql: number[], r: Mat, rl: number[]): number {
  let total = 0;
  q.forEach((qi, i) => {
    r.forEach((rj, j) => {
      if (j === i) return;
      const s = dot(qi, rj);
      total += rl[j] === ql[i] ? 1 - s : Math.max(0, s - MARGIN);
    });
  });
  return total / q.length;
}

/**
 * A step: 9 older rows, then the batch of 6 into a memory of 12 (wraps). Older row 7 is a copy of
 * batch sample 0 moved by `copyShift` (0: unmoved, s = 1, where research-xbm's exclusion by
 * similarity and the index differ; PML's relu(1 - s) has its kink there, so its check moves it).
 */
function fixture(copyShift = 0) {
  const rng = new Rng(71);
  const x = randomRows(rng, 6, D);
  const l = [0, 0, 1, 1, 2, 2];
  const old = randomRows(rng, 9, D);
  const oldLabels = randomLabels(rng, 9, 4);
  const moved = x[0].map((v, k) => v + (k === 0 ? copyShift : 0));
  old[7] = moved.map((v) => v / Math.sqrt(dot(moved, moved)));
  oldLabels[7] = l[0];
  const memory = new CrossBatchMemory(12, D);
  memory.enqueue(Float32Array.from(old.flat()), Int32Array.from(oldLabels), Int32Array.from(oldLabels, (_, i) => 100 + i), 0);
  const slots = memory.enqueue(Float32Array.from(x.flat()), Int32Array.from(l), Int32Array.from(l, (_, i) => i), 1);
  // What every implementation keeps: the newest 12 - 6 older rows, and the batch.
  const olderKept = old.slice(9 - 6);
  const olderKeptLabels = oldLabels.slice(9 - 6);
  return { x, l, memory, slots, olderKept, olderKeptLabels };
}

/** The naive total loss of a mode as a function of the batch y; the memory's copy of the batch stays at x (detached). */
function reference(mode: string, f: ReturnType<typeof fixture>, weight: number): (y: Mat) => number {
  const { l, slots, memory } = f;
  const rows = memory.entries().sort((a, b) => a.slot - b.slot);
  const mem = rows.map((e) => Array.from(e.embedding));
  const memLabels = rows.map((e) => e.label);
  if (mode === 'research-xbm') return (y) => researchXbmContrastive(y, l, y, l) + weight * researchXbmContrastive(y, l, mem, memLabels);
  if (mode === 'pml') return (y) => pmlContrastive(y, l, mem, memLabels, Array.from(slots));
  if (mode === 'tf-similarity') return (y) => tfSimilarityContrastive(y, l, [...y, ...f.olderKept], [...l, ...f.olderKeptLabels]);
  throw new Error(mode);
}

for (const mode of PARITY_MODES) {
  test(`--parity ${mode.kind}: loss and gradient equal a naive reference of that implementation's XBM contrastive loss`, () => {
    const f = fixture(mode.kind === 'pml' ? 0.1 : 0);
    const weight = mode.memoryWeight ? 0.7 : 1;
    const cfg = resolveTrainConfig({ out: '/tmp/unused', parity: mode.kind, xbmSize: 12, classesPerBatch: 3, perClass: 2, ...(mode.memoryWeight ? { xbmWeight: weight } : {}) });
    const loss = createLoss(cfg.loss);
    const naive = reference(mode.kind, f, weight);
    const [bt, lt, view] = [matrix(f.x, D), labels(f.l), f.memory.view()];
    const before = tf.memory().numTensors;
    const out = xbmLoss(loss, bt, lt, view, f.slots, cfg.xbm.weight, undefined, cfg.xbm.combine);
    const got = out.loss.dataSync()[0];
    assert.ok(maxRelativeError([got], [naive(f.x)]) <= TOL.float32, `value ${got} vs ${naive(f.x)}`);
    tf.dispose(out);
    const [g] = tf.grads((b: tf.Tensor) => xbmLoss(loss, b as tf.Tensor2D, lt, view, f.slots, cfg.xbm.weight, undefined, cfg.xbm.combine).loss)([bt]);
    const err = maxRelativeError(toMat(g).flat(), finiteDifference(naive, f.x).flat());
    assert.ok(err <= TOL.float32, `gradient error ${err}`);
    g.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    tf.dispose([bt, lt, view]);
  });
}

test('the modes differ where their definitions do: each reference disagrees with the others on the fixture', () => {
  const f = fixture();
  const values = PARITY_MODES.map((m) => reference(m.kind, f, 1)(f.x));
  const ours = (() => {
    const cfg = resolveTrainConfig({ out: '/tmp/unused', xbmSize: 12, classesPerBatch: 3, perClass: 2 });
    const [bt, lt, view] = [matrix(f.x, D), labels(f.l), f.memory.view()];
    const out = xbmLoss(createLoss(cfg.loss), bt, lt, view, f.slots, 1);
    const v = out.loss.dataSync()[0];
    tf.dispose([out, bt, lt, view]);
    return v;
  })();
  const all = [...values, ours];
  for (let a = 0; a < all.length; a++) for (let b = a + 1; b < all.length; b++) assert.ok(Math.abs(all[a] - all[b]) > 1e-3, `${a} vs ${b}: ${all[a]} ${all[b]}`);
});

test('in-loss staleness under live-batch-plus-memory: column activity is mapped back to memory rows', () => {
  const f = fixture(0.1);
  const cfg = resolveTrainConfig({ out: '/tmp/unused', parity: 'tf-similarity', xbmSize: 12, classesPerBatch: 3, perClass: 2 });
  const [bt, lt, view] = [matrix(f.x, D), labels(f.l), f.memory.view()];
  const activity = new Int32Array(12);
  tf.dispose(xbmLoss(createLoss(cfg.loss), bt, lt, view, f.slots, 1, activity, 'live-batch-plus-memory'));
  // The naive count: pairs of the concatenated references with a non-zero gradient, per memory row.
  const rows = f.memory.entries().sort((a, b) => a.slot - b.slot);
  const want = rows.map((e) => {
    const batchRow = Array.from(f.slots).indexOf(e.slot);
    const ref = batchRow >= 0 ? f.x[batchRow] : Array.from(e.embedding);
    return f.x.filter((qi, i) => {
      if (i === batchRow) return false;
      const s = dot(qi, ref);
      return e.label === f.l[i] ? s < 1 : s > MARGIN;
    }).length;
  });
  assert.deepEqual(Array.from(activity), want);
  tf.dispose([bt, lt, view]);
});

test('--parity sets each behaviour in the config, and refuses the flags it decides', () => {
  const base: TrainFlags = { out: '/tmp/unused', xbmSize: 256 };
  const rx = resolveTrainConfig({ ...base, parity: 'research-xbm', xbmStart: '5' });
  assert.deepEqual(rx.loss, { kind: 'contrastive', margin: 0.5, reducer: 'sum-per-query', selfExclusion: { kind: 'similarity', epsilon: 1e-5 }, negativeValue: 'similarity' });
  assert.deepEqual(rx.xbm.start, { kind: 'at', iteration: 5 });
  assert.equal(rx.xbm.combine, undefined);
  assert.equal(rx.parity, 'research-xbm');
  const p = resolveTrainConfig({ ...base, parity: 'pml' });
  assert.deepEqual(p.loss, { kind: 'contrastive', margin: 0.5, reducer: 'mean-active' });
  assert.deepEqual(p.xbm.start, { kind: 'at', iteration: 0 });
  assert.equal(p.xbm.combine, 'memory-only');
  const t = resolveTrainConfig({ ...base, parity: 'tf-similarity', loss: 'multi-similarity' });
  assert.equal(t.loss.reducer, 'sum-per-query');
  assert.equal(t.xbm.combine, 'live-batch-plus-memory');
  // Without --parity: no parity fields; the reducer and compensation are the XBM study's (config/study-choice.ts).
  const ours = resolveTrainConfig(base);
  assert.equal(ours.parity, undefined);
  assert.equal(ours.xbm.combine, undefined);
  assert.deepEqual(ours.loss, { kind: 'contrastive', margin: 0.5, reducer: 'mean-active' });
  assert.deepEqual(ours.xbm.adapt, { kind: 'moments' });
  assert.deepEqual(rx.xbm.adapt, { kind: 'none' }, 'the paper has no compensation');

  assert.throws(() => resolveTrainConfig({ ...base, parity: 'pml', reducer: 'mean' }), userError(CM.parityConflict('--reducer', 'pml', 'it sets the reducer to mean-active')));
  assert.throws(() => resolveTrainConfig({ ...base, parity: 'pml', xbmStart: '10' }), userError(CM.parityConflict('--xbm-start', 'pml', 'it has no warm-up: the memory is used from iteration 0')));
  assert.throws(() => resolveTrainConfig({ ...base, parity: 'tf-similarity', xbmWeight: 0.5 }), userError(CM.parityConflict('--xbm-weight', 'tf-similarity', 'it computes one loss of the batch against the memory, without a weight')));
  // config.json read back: a hand-edited combine or parity is refused, not silently replaced by the default.
  assert.throws(() => normaliseTrainConfig({ ...p, xbm: { ...p.xbm, combine: 'both' } }), userError(CM.unknownChoice('config.json xbm.combine', 'both', ['batch-plus-memory', 'memory-only', 'live-batch-plus-memory'])));
  assert.deepEqual(normaliseTrainConfig(JSON.parse(JSON.stringify(p))), p);
  assert.throws(() => parityMode('keras'), userError(CM.unknownChoice('parity', 'keras', PARITY_MODES.map((m) => m.kind))));
});

test('train --parity pml: the memory loss is on from the first iteration, as PML has no warm-up; a refused flag writes nothing', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'run');
  const r = await runCli(['train', ...tinyTrain({ '--iterations': '3', '--out': out }), '--xbm-size', '16', '--parity', 'pml']);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(config.parity, 'pml');
  const [header, ...rows] = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').map((line) => line.split(','));
  const memoryLoss = header.indexOf('memory_loss');
  const batchLoss = header.indexOf('batch_loss');
  assert.ok(memoryLoss >= 0 && batchLoss >= 0);
  const trainRows = rows.filter((row) => row[memoryLoss] !== '');
  assert.ok(trainRows.length >= 3);
  for (const row of trainRows) {
    assert.ok(Number(row[memoryLoss]) > 0, `memory loss ${row[memoryLoss]}`);
    assert.equal(Number(row[batchLoss]), 0);
  }
  const refused = join(dir, 'refused');
  const bad = await runCli(['train', ...tinyTrain({ '--iterations': '3', '--out': refused }), '--xbm-size', '16', '--parity', 'pml', '--xbm-start', '2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--xbm-start cannot be combined with --parity pml/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  assert.throws(() => readFileSync(join(refused, 'config.json')), /ENOENT/);
});
