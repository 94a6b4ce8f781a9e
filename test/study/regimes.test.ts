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
    e instanceof UserError && e.message === studyMessages.unknownRegime(['huge'], ['scratch-16', 'scratch-64', 'pretrained-64', 'scratch-drop-64', 'long-64', 'shuffle-64', 'ms-64'], ' (fashion-64 needs --fashion <idx folder>)'));
});

test('held-out regimes run only when named, each one change against scratch-64, and the trainer accepts them', async () => {
  const { resolveTrainConfig } = await import('../../src/config/train-config.js');
  const held = xbmRegimes({ wanted: ['long-64', 'shuffle-64', 'ms-64'] });
  assert.deepEqual(held.map((r) => `${r.name}:${r.iterations}:${r.heldOut}`), ['long-64:2000:true', 'shuffle-64:200:true', 'ms-64:200:true']);
  assert.ok(xbmRegimes({ fashion: 'data/fm' }).every((r) => !r.heldOut), 'the default run is the design regimes only');
  assert.ok(held[0].iterations >= 2000, 'issue 22: a long budget of at least 2,000 iterations');
  for (const r of held) {
    const cfg = resolveTrainConfig({ ...r.flags, out: 'x', iterations: r.iterations, xbmSize: r.xbmSize, xbmStart: '100' } as never);
    assert.equal(cfg.iterations, r.iterations);
  }
});
