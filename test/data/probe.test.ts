import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { dataMessages } from '../../src/messages/data.js';
import { ArraySplit } from '../../src/data/array-split.js';
import { selectProbe } from '../../src/data/probe.js';

const userError = (message: string) => (e: unknown) => {
  assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

/** a split with `sizes[c]` samples of class c, shuffled so ids do not follow classes */
function splitOf(sizes: number[]): ArraySplit {
  const labels: number[] = [];
  sizes.forEach((n, c) => labels.push(...Array(n).fill(c)));
  for (let i = labels.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return new ArraySplit(Int32Array.from(labels), new Uint8Array(0), 0);
}

function countsByClass(split: ArraySplit, probe: Int32Array): number[] {
  const counts = split.classes.map(() => 0);
  for (const id of probe) counts[split.labels[id]]++;
  return counts;
}

test('the probe is sorted, unique, inside the split, and fixed by its seed', () => {
  const split = splitOf(Array(10).fill(20));
  const a = selectProbe(split, 35, 1);
  assert.equal(a.length, 35);
  assert.deepEqual([...a], [...new Set(a)].sort((x, y) => x - y));
  assert.ok(a.every((id) => id >= 0 && id < split.size));
  assert.deepEqual(selectProbe(split, 35, 1), a);
  assert.notDeepEqual(selectProbe(split, 35, 2), a);
});

test('a balanced split gives every class the same share, give or take one', () => {
  const split = splitOf(Array(10).fill(20));
  const counts = countsByClass(split, selectProbe(split, 35, 3));
  assert.deepEqual([...counts].sort(), [3, 3, 3, 3, 3, 4, 4, 4, 4, 4]);
  assert.deepEqual(countsByClass(split, selectProbe(split, 40, 3)), Array(10).fill(4));
  // which classes get the extra one depends on the seed
  const extras = new Set<string>();
  for (let seed = 0; seed < 5; seed++) extras.add(countsByClass(split, selectProbe(split, 35, seed)).join());
  assert.ok(extras.size > 1);
});

test('small classes are taken whole and the rest is shared evenly by the others', () => {
  const split = splitOf([1, 2, 50, 50, 50]);
  const counts = countsByClass(split, selectProbe(split, 30, 4));
  assert.equal(counts[0], 1);
  assert.equal(counts[1], 2);
  assert.deepEqual(counts.slice(2).sort(), [9, 9, 9]);
  assert.deepEqual(countsByClass(split, selectProbe(split, 153, 4)), [1, 2, 50, 50, 50]);
});

test('a probe larger than the split, or not positive, is refused', () => {
  const split = splitOf([3, 4]);
  assert.throws(() => selectProbe(split, 8, 1), userError(dataMessages.probeTooLarge(8, 7)));
  assert.throws(() => selectProbe(split, 0, 1), userError(dataMessages.probeSizeInvalid(0)));
  assert.deepEqual([...selectProbe(split, 7, 1)], [0, 1, 2, 3, 4, 5, 6]);
});
