import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { studyMessages } from '../../src/messages/study.js';
import { xbmRegimes } from '../../src/study/regimes.js';

test('the four mnist regimes by default at the study budgets; fashion-64 only with its folder', () => {
  assert.deepEqual(xbmRegimes().map((r) => `${r.name}:${r.iterations}`), ['scratch-16:400', 'scratch-64:200', 'pretrained-64:150', 'scratch-drop-64:200']);
  const withFashion = xbmRegimes({ fashion: 'data/fm' });
  assert.equal(withFashion.at(-1)?.name, 'fashion-64');
  assert.equal(withFashion.at(-1)?.flags.dataset, 'idx:data/fm');
});

test('budgets: one for all, or per regime; the lr drop follows its budget; a chosen order', () => {
  assert.ok(xbmRegimes({ iterations: 8 }).every((r) => r.iterations === 8));
  const [drop, s16] = xbmRegimes({ iterationsOf: { 'scratch-drop-64': 60 }, wanted: ['scratch-drop-64', 'scratch-16'] });
  assert.deepEqual([drop.iterations, drop.flags.lrStep, s16.iterations], [60, 30, 400]);
});

test('an unknown regime is refused naming the known ones', () => {
  assert.throws(() => xbmRegimes({ wanted: ['scratch-16', 'huge'] }), (e: unknown) =>
    e instanceof UserError && e.message === studyMessages.unknownRegime(['huge'], ['scratch-16', 'scratch-64', 'pretrained-64', 'scratch-drop-64'], ' (fashion-64 needs --fashion <idx folder>)'));
});
