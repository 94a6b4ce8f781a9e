import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigAgainstDataset } from '../../src/config/dataset-checks.js';
import { resolveTrainConfig } from '../../src/config/train-config.js';
import type { Dataset } from '../../src/data/types.js';
import { UserError } from '../../src/errors.js';
import { configMessages as M } from '../../src/messages/config.js';

/** A test split of `n` images in pairs (leave-one-out retrieval: n - 1 neighbours per query). */
function smallDataset(n: number): Dataset {
  const labels = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 2));
  return { spec: 'tiny', train: { size: 100, classes: [0, 1], labels: new Int32Array(100) }, test: { size: n, labels } } as unknown as Dataset;
}

test('the default Ks are fitted to a small test split and recorded so; Ks the user gave are refused', () => {
  const byDefault = resolveTrainConfig({ out: 'x', dataset: 'mnist2' });
  assert.deepEqual(byDefault.eval.ks, [1, 2, 4, 8]);
  const fitted = checkConfigAgainstDataset(byDefault, smallDataset(6));
  assert.deepEqual(fitted.eval.ks, [1, 2, 4], 'K = 8 dropped: a query has 5 neighbours');
  const recorded = fitted.defaultsApplied!.find((d) => d.flag === 'ks')!;
  assert.deepEqual(recorded.value, [1, 2, 4]);
  assert.ok(recorded.source.endsWith(M.ksFitted([1, 2, 4, 8], 5, 'tiny')), recorded.source);
  assert.deepEqual(byDefault.eval.ks, [1, 2, 4, 8], 'the asked config is left as it was');
  // A split large enough changes nothing.
  assert.deepEqual(checkConfigAgainstDataset(byDefault, smallDataset(20)), byDefault);

  const given = resolveTrainConfig({ out: 'x', dataset: 'mnist2', ks: '1,8' });
  assert.throws(() => checkConfigAgainstDataset(given, smallDataset(6)), new UserError(M.ksOverGallery(8, 6, 'tiny')));
});
