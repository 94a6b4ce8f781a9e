import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoInterrupted, runDemo } from '../../src/demo/demo.js';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import type { TrainFlags } from '../../src/config/train-config.js';
import { demoMessages } from '../../src/messages/demo.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

/** The demo's pipeline on a tiny budget (seconds): the flags override the demo's sizes. */
const TINY: Partial<TrainFlags> = {
  dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
  probeSize: 24, iterations: 8, evalEvery: 4, snapshotEvery: 2, snapshotOffsets: '1', checkpointEvery: 4, xbmSize: 16,
};

test('runDemo makes the whole result: both runs, the report and summary.md', async (t) => {
  const out = tempDir(t);
  const log: string[] = [];
  const r = await runDemo({ out, quick: true, policy: 'staleness', overwrite: true, quiet: true, flags: TINY, log: (l) => log.push(l) });
  assert.deepEqual(log.filter((l) => /^\d\/4 /.test(l)).map((l) => l.slice(0, 3)), ['1/4', '2/4', '3/4', '4/4']);
  assert.equal(r.baseline.status, 'completed');
  assert.equal(r.xbm.status, 'completed');
  assert.equal(r.xbm.xbm.start, r.startUsed);
  assert.equal(r.reportDir, join(out, 'report'));
  assert.ok(existsSync(r.reportIndex), 'report/index.html');
  assert.equal(r.summaryPath, join(out, 'summary.md'));
  assert.equal(readFileSync(r.summaryPath, 'utf8'), r.summary);
  assert.match(r.summary, /^\| run \| R@1 \|/);
  assert.ok(r.summary.includes(`Report: ${r.reportIndex}`));
  assert.match(r.summary, /Wall time: /);
  // The study-backed configuration: the reducer in both runs, the compensation in the XBM run, and the evidence quoted.
  const config = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(config(r.baselineDir).loss.reducer, STUDY_CHOICE.reducer);
  assert.equal(config(r.xbmDir).loss.reducer, STUDY_CHOICE.reducer);
  assert.equal(config(r.xbmDir).xbm.adapt.kind, STUDY_CHOICE.adapt);
  assert.ok(r.summary.includes(`--reducer ${STUDY_CHOICE.reducer} (both runs), --xbm-adapt ${STUDY_CHOICE.adapt}`));
  assert.ok(r.summary.includes(STUDY_CHOICE.evidence));
  // This run gave staleness explicitly: when that is not the study's policy, the summary says so.
  const studyPolicy: string = STUDY_CHOICE.policy;
  assert.ok(studyPolicy === 'staleness' || r.summary.includes(`(given; the study supports ${studyPolicy})`), 'a policy other than the study\'s is named as such');
});

test('a demo interrupted between runs stops before the next one: what is done stays, nothing of the next is made', async (t) => {
  // Aborted before anything: the trainer creates no run folder and rejects with the signal's reason
  // (the CLI's withInterrupt turns that into exit 130).
  const early = tempDir(t);
  const before = AbortSignal.abort();
  await assert.rejects(runDemo({ out: early, quick: true, policy: 'staleness', overwrite: true, quiet: true, flags: TINY, log: () => {}, signal: before }), (e: unknown) => e === before.reason);
  assert.equal(existsSync(join(early, 'baseline')), false);
  // Aborted once the baseline is done (at the XBM start): the baseline and its analysis stay; no XBM run, no report.
  const out = tempDir(t);
  const controller = new AbortController();
  const log = (line: string) => void (line.startsWith('3/4') && controller.abort());
  await assert.rejects(runDemo({ out, quick: true, policy: 'staleness', overwrite: true, quiet: true, flags: TINY, log, signal: controller.signal }), (e: unknown) => e === controller.signal.reason || e instanceof DemoInterrupted);
  assert.ok(existsSync(join(out, 'baseline', 'analysis', 'warmup.json')));
  assert.equal(existsSync(join(out, 'xbm', 'config.json')), false);
  assert.equal(existsSync(join(out, 'report')), false);
  assert.match(demoMessages.interrupted('baseline', join(out, 'baseline')), /xbm-drift train --resume /);
});

test('a bad policy is refused before the baseline trains: nothing is written', async (t) => {
  const out = join(tempDir(t), 'demo');
  await assert.rejects(runDemo({ out, quick: true, policy: 'bogus', overwrite: false, quiet: true, flags: TINY, log: () => {} }), UserError);
  assert.equal(existsSync(out), false, 'the baseline never started (training creates the folder first)');
});
