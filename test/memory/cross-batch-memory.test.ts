import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.js';
import { CrossBatchMemory, type CrossBatchMemoryState } from '../../src/memory/cross-batch-memory.js';
import { memoryMessages as M } from '../../src/messages/memory.js';
import { Rng } from '../../src/random.js';
import { userError } from '../losses/harness.js';

await tf.setBackend('cpu');

interface Row {
  sampleId: number;
  label: number;
  iteration: number;
  embedding: number[];
}

/** A batch of n rows with distinct sample ids; labels drawn from 0..2 so label 0 is frequent. */
function makeBatch(rng: Rng, n: number, dim: number, firstId: number, iteration: number): Row[] {
  return Array.from({ length: n }, (_, r) => ({
    sampleId: firstId + r,
    label: rng.int(3),
    iteration,
    embedding: Array.from({ length: dim }, () => Math.fround(rng.normal())),
  }));
}

function enqueueRows(memory: CrossBatchMemory, rows: Row[], iteration: number): Int32Array {
  return memory.enqueue(
    Float32Array.from(rows.flatMap((r) => r.embedding)),
    Int32Array.from(rows, (r) => r.label),
    Int32Array.from(rows, (r) => r.sampleId),
    iteration,
  );
}

const asRow = (e: { sampleId: number; label: number; iteration: number; embedding: Float32Array }): Row => ({
  sampleId: e.sampleId,
  label: e.label,
  iteration: e.iteration,
  embedding: Array.from(e.embedding),
});

/** Compares the memory with a naive array queue after every enqueue, through entries(), view() and the returned slots. */
function checkAgainstNaiveQueue(capacity: number, batchSizes: number[]) {
  const dim = 3;
  const rng = new Rng(capacity * 1000 + batchSizes.length);
  const memory = new CrossBatchMemory(capacity, dim);
  let queue: Row[] = [];
  let nextId = 0;
  batchSizes.forEach((n, iteration) => {
    const rows = makeBatch(rng, n, dim, nextId, iteration);
    nextId += n;
    const slots = enqueueRows(memory, rows, iteration);
    queue = [...queue, ...rows].slice(-capacity);
    const where = `capacity ${capacity}, iteration ${iteration}`;

    assert.equal(memory.size, queue.length, where);
    assert.deepEqual(memory.entries().map(asRow), queue, `${where}: FIFO order`);

    const view = memory.view();
    const emb = view.embeddings.arraySync();
    const labels = view.labels.arraySync();
    assert.deepEqual(view.embeddings.shape, [queue.length, dim]);
    assert.equal(view.labels.dtype, 'int32');
    for (const e of memory.entries()) {
      assert.deepEqual(emb[e.slot], Array.from(e.embedding), `${where}: view row ${e.slot}`);
      assert.equal(labels[e.slot], e.label);
    }
    // Each kept row's slot points at that row in view(); rows beyond capacity report -1.
    rows.forEach((row, r) => {
      if (r < n - capacity) return assert.equal(slots[r], -1, `${where}: dropped row ${r}`);
      assert.deepEqual(emb[slots[r]], row.embedding, `${where}: slot of row ${r}`);
    });
    tf.dispose(view);
  });
}

test('FIFO order survives wrap-around when the capacity is a multiple of the batch size', () => {
  checkAgainstNaiveQueue(8, [4, 4, 4, 4, 4, 4, 4]);
});

test('FIFO order survives wrap-around when the capacity is not a multiple of the batch size', () => {
  checkAgainstNaiveQueue(10, [4, 4, 4, 4, 4, 4, 4]);
  checkAgainstNaiveQueue(7, [4, 4, 4, 4, 4, 4, 4]);
  checkAgainstNaiveQueue(3, [4, 4, 4]);
  checkAgainstNaiveQueue(1, [4, 1, 2]);
});

test('FIFO with uneven batches, empty batches and batches larger than the capacity', () => {
  checkAgainstNaiveQueue(10, [3, 5, 0, 9, 1, 12, 4, 25, 2, 7]);
  checkAgainstNaiveQueue(6, [6, 6, 13, 1]);
});

test('"full" does not depend on labels: a memory of label-0 rows fills, wraps and views like any other', () => {
  const memory = new CrossBatchMemory(5, 2);
  for (let it = 0; it < 3; it++) memory.enqueue(new Float32Array(6).fill(it), new Int32Array(3), Int32Array.from([3 * it, 3 * it + 1, 3 * it + 2]), it);
  assert.equal(memory.size, 5);
  assert.deepEqual(memory.entries().map((e) => e.sampleId), [4, 5, 6, 7, 8]);
  const view = memory.view();
  assert.deepEqual(Array.from(view.labels.dataSync()), [0, 0, 0, 0, 0]);
  tf.dispose(view);
});

test('ages: NaN when empty, then min / mean / max of iteration - written iteration', () => {
  const memory = new CrossBatchMemory(6, 1);
  const a = memory.ages(10);
  assert.ok(Number.isNaN(a.min) && Number.isNaN(a.mean) && Number.isNaN(a.max));
  const push = (n: number, iteration: number) => memory.enqueue(new Float32Array(n), new Int32Array(n), new Int32Array(n), iteration);
  push(4, 1);
  push(4, 3); // evicts two rows of iteration 1: holds 1, 1, 3, 3, 3, 3
  assert.deepEqual(memory.ages(5), { min: 2, mean: (4 + 4 + 2 * 4) / 6, max: 4 });
  memory.clear();
  assert.equal(memory.size, 0);
  assert.ok(Number.isNaN(memory.ages(5).mean));
});

test('bytes are the buffers actually held; view() tensors are copies; no tensors leak', () => {
  const memory = new CrossBatchMemory(10, 4);
  assert.equal(memory.bytes, 10 * 4 * 4 + 3 * 10 * 4);
  assert.deepEqual([memory.capacity, memory.dim, memory.size], [10, 4, 0]);
  const before = tf.memory().numTensors;
  const empty = memory.view();
  assert.deepEqual(empty.embeddings.shape, [0, 4]);
  memory.enqueue(new Float32Array(8).fill(1), Int32Array.from([0, 1]), Int32Array.from([0, 1]), 0);
  const view = memory.view();
  // Overwrite the same slots after clear(): the earlier view must not change.
  memory.clear();
  memory.enqueue(new Float32Array(8).fill(2), Int32Array.from([5, 5]), Int32Array.from([2, 3]), 1);
  assert.deepEqual(Array.from(view.embeddings.dataSync()), new Array(8).fill(1));
  assert.deepEqual(Array.from(view.labels.dataSync()), [0, 1]);
  tf.dispose([empty, view]);
  assert.equal(tf.memory().numTensors, before);
});

test('clear() restarts at slot 0', () => {
  const memory = new CrossBatchMemory(4, 1);
  memory.enqueue(new Float32Array(3), new Int32Array(3), new Int32Array(3), 0);
  memory.clear();
  assert.deepEqual(Array.from(memory.enqueue(new Float32Array(2), new Int32Array(2), new Int32Array(2), 1)), [0, 1]);
});

test('state round trip through JSON: same entries, same view, same slots for the next enqueue', () => {
  const rng = new Rng(9);
  const memory = new CrossBatchMemory(7, 3);
  let id = 0;
  for (let it = 0; it < 4; it++) {
    enqueueRows(memory, makeBatch(rng, 3, 3, id, it), it);
    id += 3;
  }
  const restored = CrossBatchMemory.restore(JSON.parse(JSON.stringify(memory.state())) as CrossBatchMemoryState);
  assert.deepEqual(restored.entries(), memory.entries());
  assert.deepEqual([restored.size, restored.capacity, restored.dim], [memory.size, memory.capacity, memory.dim]);
  const next = makeBatch(rng, 3, 3, id, 4);
  assert.deepEqual(enqueueRows(restored, next, 4), enqueueRows(memory, next, 4));
  const [a, b] = [memory.view(), restored.view()];
  assert.deepEqual(a.embeddings.arraySync(), b.embeddings.arraySync());
  assert.deepEqual(a.labels.arraySync(), b.labels.arraySync());
  tf.dispose([a, b]);
  // A partly filled memory round-trips too.
  const partial = new CrossBatchMemory(5, 3);
  enqueueRows(partial, makeBatch(rng, 2, 3, 0, 0), 0);
  assert.deepEqual(CrossBatchMemory.restore(partial.state()).entries(), partial.entries());
});

test('bad arguments and damaged states are rejected with the defined messages', () => {
  assert.throws(() => new CrossBatchMemory(0, 4), userError(M.badCapacity(0)));
  assert.throws(() => new CrossBatchMemory(2.5, 4), userError(M.badCapacity(2.5)));
  assert.throws(() => new CrossBatchMemory(4, 0), userError(M.badDim(0)));
  const memory = new CrossBatchMemory(4, 3);
  assert.throws(() => memory.enqueue(new Float32Array(8), new Int32Array(2), new Int32Array(2), 0), userError(M.dimMismatch(8, 2, 3)));
  assert.throws(() => memory.enqueue(new Float32Array(6), new Int32Array(2), new Int32Array(3), 0), userError(M.lengthMismatch('sampleIds', 3, 2)));
  assert.throws(() => memory.enqueue(new Float32Array(6), new Int32Array(2), new Int32Array(2), 0.5), userError(M.badIteration(0.5)));
  assert.equal(memory.size, 0, 'a rejected enqueue writes nothing');
  memory.enqueue(new Float32Array(6), new Int32Array(2), new Int32Array(2), 0);
  const good = memory.state();
  assert.throws(() => CrossBatchMemory.restore({ ...good, labels: [0] }), userError(M.badState('labels has 1 values, expected 2')));
  assert.throws(() => CrossBatchMemory.restore({ ...good, head: 3 }), userError(M.badState('head 3 with size 2 and capacity 4')));
  assert.throws(() => CrossBatchMemory.restore({ ...good, size: 5 }), userError(M.badState('size 5 with capacity 4')));
});
