/**
 * The resumable runner through the real trainer (tiny runs): train, reuse a completed run of the
 * same configuration (also one whose config.json predates a field, as the published study's runs
 * may), resume an interrupted one, retrain a changed one, and stop the study on Ctrl-C.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainFlags } from '../../src/config/train-config.js';
import { UserError } from '../../src/errors.js';
import { train } from '../../src/train/trainer.js';
import { planRun, runAllPlanned, runPlanned, StudyInterrupted } from '../../src/study/run-plan.js';
import { stopAfter } from '../train/stop-after.js';
import { tempDir } from '../helpers/tmp.js';

const tiny = (out: string, more: Partial<TrainFlags> = {}): TrainFlags => ({
  out, dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
  probeSize: 24, snapshotEvery: 0, evalEvery: 4, checkpointEvery: 2, iterations: 4, xbmSize: 16, xbmStart: '2', xbmAdapt: 'none', ...more,
});

test('reused when completed with the same configuration (an older config.json included), resumed when interrupted, retrained when changed', async (t) => {
  const dir = join(tempDir(t), 'a-seed1');
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const p = planRun('a seed 1', tiny(dir));
  const first = await runPlanned(p, { log });
  assert.equal(first.status, 'completed');
  assert.equal(lines.at(-1), `== a seed 1 -> ${dir}`);

  const again = await runPlanned(p, { log });
  assert.equal(again.runId, first.runId);
  assert.equal(lines.at(-1), `== a seed 1: completed, reused (${dir})`);

  // A config.json written before --xbm-adapt existed: the same configuration, so still reused.
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  delete config.xbm.adapt;
  writeFileSync(path, JSON.stringify(config));
  assert.equal((await runPlanned(p, { log })).runId, first.runId);
  assert.match(lines.at(-1)!, /completed, reused/);

  const changed = planRun('a seed 1', tiny(dir, { seed: 2 }));
  const retrained = await runPlanned(changed, { log });
  assert.notEqual(retrained.runId, first.runId);
  assert.equal(lines.at(-1), `== a seed 1 -> ${dir}`);
});

test('an interrupted run resumes from its checkpoint', async (t) => {
  const dir = join(tempDir(t), 'b-seed1');
  const p = planRun('b', tiny(dir));
  const stopped = await train(p.config, { quiet: true, ...stopAfter(2) });
  assert.equal(stopped.status, 'interrupted');
  const lines: string[] = [];
  const done = await runPlanned(p, { log: (l) => lines.push(l) });
  assert.deepEqual([done.status, done.iterationsDone, done.runId], ['completed', 4, stopped.runId]);
  assert.equal(lines.at(-1), `== b: resuming ${dir}`);
});

test('Ctrl-C ends the study with StudyInterrupted naming the run; a refused plan names its run in one line', async (t) => {
  const dir = join(tempDir(t), 'c-seed1');
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(runAllPlanned([planRun('c', tiny(dir))], { signal: stop.signal }), (e: unknown) => e instanceof StudyInterrupted && e.dir === dir);
  assert.throws(() => planRun('d seed 1', tiny(join(dir, 'd'), { margin: -3 })), (e: unknown) => e instanceof UserError && e.message.startsWith('d seed 1: '));
});
