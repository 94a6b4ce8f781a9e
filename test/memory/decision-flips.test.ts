import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { similarityKernel } from '../../src/losses/create-loss.js';
import { decisionFlips } from '../../src/memory/decision-flips.js';
import { readCsv } from '../../src/io/csv.js';
import { TRAINER_STALENESS_COLUMNS, type StalenessRow } from '../../src/io/tables.js';
import { Rng } from '../../src/random.js';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { randomLabels, randomRows } from '../losses/harness.js';
import { readFileSync } from 'node:fs';

const D = 6;
const MARGIN = 0.5;
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, k) => s + v * b[k], 0);
const flat = (m: number[][]) => Float32Array.from(m.flat());

/** Queries and a memory whose fresh features moved away from the stored ones. */
function fixture(move: number) {
  const rng = new Rng(3);
  const stored = randomRows(rng, 20, D);
  const fresh = stored.map((row) => {
    const v = row.map((x) => x + move * (rng.next() - 0.5));
    const n = Math.sqrt(dot(v, v));
    return v.map((x) => x / n);
  });
  const labels = randomLabels(rng, 20, 4);
  const ids = labels.map((_, i) => 100 + i);
  // The queries are the newest 5 entries' fresh features (as the trainer does).
  const q = { rows: fresh.slice(15), labels: labels.slice(15), ids: ids.slice(15) };
  return { stored, fresh, labels, ids, q };
}

test('decision flips of the contrastive loss equal a naive count of pairs whose activity (s < 1 positive, s > margin negative) changes', () => {
  for (const move of [0, 0.3, 1]) {
    const f = fixture(move);
    const kernel = similarityKernel({ kind: 'contrastive', margin: MARGIN });
    const got = decisionFlips((s, p) => kernel(s, p).grad, { features: flat(f.q.rows), labels: Int32Array.from(f.q.labels), ids: Int32Array.from(f.q.ids) },
      { stored: flat(f.stored), fresh: flat(f.fresh), labels: Int32Array.from(f.labels), ids: Int32Array.from(f.ids) }, D);
    let pairs = 0;
    let activeStale = 0;
    let activeFresh = 0;
    let flips = 0;
    f.q.rows.forEach((qi, i) => {
      f.stored.forEach((_, j) => {
        if (f.q.ids[i] === f.ids[j]) return;
        pairs++;
        const active = (m: number[]) => (f.q.labels[i] === f.labels[j] ? dot(qi, m) < 1 : dot(qi, m) > MARGIN);
        const a = active(f.stored[j]);
        const b = active(f.fresh[j]);
        activeStale += Number(a);
        activeFresh += Number(b);
        flips += Number(a !== b);
      });
    });
    assert.deepEqual(got, { pairs, activeStale, activeFresh, flips }, `move ${move}`);
    if (move === 0) assert.equal(got.flips, 0);
    if (move === 1) assert.ok(got.flips > 0, 'a large move flips some decisions');
  }
});

test('decision flips follow the loss\'s own mining: triplet semi-hard with unmoved features flips nothing, moved features flip some', () => {
  const kernel = similarityKernel({ kind: 'triplet', margin: 0.1, mining: 'semi-hard' });
  const counts = [0, 1].map((move) => {
    const f = fixture(move);
    return decisionFlips((s, p) => kernel(s, p).grad, { features: flat(f.q.rows), labels: Int32Array.from(f.q.labels), ids: Int32Array.from(f.q.ids) },
      { stored: flat(f.stored), fresh: flat(f.fresh), labels: Int32Array.from(f.labels), ids: Int32Array.from(f.ids) }, D);
  });
  assert.equal(counts[0].flips, 0);
  assert.equal(counts[0].activeStale, counts[0].activeFresh);
  assert.ok(counts[1].flips > 0);
});

test('train --staleness-every writes the decision flips into staleness.csv', async (t) => {
  const out = join(tempDir(t), 'run');
  const r = await runCli(['train', ...tinyTrain({ '--iterations': '6', '--out': out }), '--xbm-size', '32', '--xbm-start', '1', '--staleness-every', '2']);
  assert.equal(r.code, 0, r.stderr);
  const header = readFileSync(join(out, 'staleness.csv'), 'utf8').split('\n')[0].split(',');
  assert.deepEqual(header, TRAINER_STALENESS_COLUMNS);
  const rows = await readCsv<StalenessRow>(join(out, 'staleness.csv'));
  assert.ok(rows.length >= 2);
  for (const row of rows) {
    assert.ok(row.flip_pairs! > 0);
    assert.ok(row.flips! <= row.flip_pairs! && row.active_stale! <= row.flip_pairs! && row.active_fresh! <= row.flip_pairs!);
    assert.ok(Math.abs(row.flip_share! - row.flips! / row.flip_pairs!) < 1e-12);
  }
});
