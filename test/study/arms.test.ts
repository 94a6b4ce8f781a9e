/**
 * The study's arms come from the registries: these tests register nothing, they assert that every
 * registered policy, strategy and parity reducer is in the arms, so a new one is picked up by the
 * study (and by these tests) without editing either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARMUP_POLICIES } from '../../src/analysis/warmup/policies/index.js';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { REDUCER_KINDS } from '../../src/losses/reducers/registry.js';
import { ADAPT_KINDS } from '../../src/memory/adapt/index.js';
import { PARITY_MODES } from '../../src/memory/parity/registry.js';
import { armName, autoPolicies, fixedStarts, screenArms, startArms, studyAdapts, studyReducers, type Arm } from '../../src/study/arms.js';

const best: Arm = { reducer: 'mean-active', adapt: 'moments', start: '100' };

test('every registered policy is in stage B: those deciding from evidence as auto:<policy>, a fixed one as the fixed starts', () => {
  const arms = startArms(best, 200);
  const starts = arms.map((a) => a.start);
  for (const p of WARMUP_POLICIES) {
    if ('startAt' in p && typeof p.startAt === 'function') {
      assert.ok(!starts.includes(`auto:${p.kind}`), `${p.kind} fixes its start: it is what the fixed starts measure`);
    } else {
      assert.ok(starts.includes(`auto:${p.kind}`), `${p.kind} is a stage-B arm`);
      assert.ok(autoPolicies().includes(p.kind));
    }
  }
  for (const s of fixedStarts(200)) assert.ok(starts.includes(s));
  assert.deepEqual(fixedStarts(200), ['50', '100', '150']);
  const guarded = arms.filter((a) => a.guard);
  assert.deepEqual(guarded.map((a) => a.start), [`auto:${STUDY_CHOICE.policy}`], 'the default policy once more, with the guard');
  assert.equal(arms.length, 3 + autoPolicies().length + 1);
  assert.ok(arms.every((a) => a.reducer === best.reducer && a.adapt === best.adapt));
});

test('every registered strategy is screened with every screened reducer, and each reducer has its no-XBM baseline', () => {
  const reducers = studyReducers();
  const arms = screenArms(reducers, studyAdapts(), '100');
  assert.equal(arms.length, reducers.length * (ADAPT_KINDS.length + 1));
  for (const r of reducers) {
    assert.ok(arms.some((a) => a.reducer === r && a.adapt === null));
    for (const k of ADAPT_KINDS) assert.ok(arms.some((a) => a.reducer === r && a.adapt === k && a.start === '100'), `${r} x ${k}`);
  }
});

test('the screened reducers are those of the registered parity modes (each a registered reducer)', () => {
  const reducers = studyReducers();
  for (const p of PARITY_MODES) assert.ok(reducers.includes(p.reducer), p.kind);
  assert.ok(reducers.every((r) => REDUCER_KINDS.includes(r)));
  assert.equal(new Set(reducers).size, reducers.length);
});

test('arm folder names are those of the runs already made (the resumable runner finds them by name)', () => {
  assert.equal(armName({ reducer: 'sum-per-query', adapt: null }), 'noxbm-sum-per-query');
  assert.equal(armName({ reducer: 'mean-active', adapt: 'refresh-by-id', start: '100' }), 'xbm-mean-active-refresh-by-id-100');
  assert.equal(armName({ reducer: 'mean-active', adapt: 'moments', start: 'auto:staleness', guard: true }), 'xbm-mean-active-moments-auto-staleness-guard');
  assert.equal(armName({ reducer: 'mean-active', adapt: 'moments', start: 'auto:scatter', guard: false }), 'xbm-mean-active-moments-auto-scatter');
});
