/**
 * The XBM study end to end on a tiny regime (one reducer, one strategy, one seed; runs of 8
 * iterations): its screen emitted as sweep points and trained by `xbm-drift sweep --point`, the
 * next stage emitted after them (earlier points keep their index), then the local study reusing
 * the sweep's runs, training the rest and writing study.csv, study.md and the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { autoPolicies } from '../../src/study/arms.js';
import { runPointsHere } from '../../src/study/cluster.js';
import type { Regime } from '../../src/study/regimes.js';
import { runXbmStudy, type XbmStudyOptions } from '../../src/study/xbm-study.js';
import { tempDir } from '../helpers/tmp.js';

const tiny: Regime = {
  name: 'tiny', iterations: 8, xbmSize: 16, describe: 'mnist2, 8 images per class, an MLP',
  flags: { dataset: 'mnist2', imagesPerClass: 8, model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2, probeSize: 100 },
};

test('screen as sweep points, then the next stage, then the local study reusing the sweep runs', async (t) => {
  const out = join(tempDir(t), 'study');
  const o: XbmStudyOptions = { out, seeds: [1], regimes: [tiny], backend: 'cpu', reducers: ['mean-active'], adapts: ['none'] };
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const dir = join(out, 'tiny');

  await runXbmStudy(o, 'plan', { log });
  const screen = readSweepFile(dir)!.points.map((p) => p.name);
  assert.deepEqual(screen, ['noxbm-mean-active-seed1', 'xbm-mean-active-none-4-seed1']);
  assert.deepEqual(await runPointsHere(dir, [0, 1], { log }), screen, lines.join('\n'));

  // The repeats are the screen's runs (one seed, one strategy), so stage B is next.
  await runXbmStudy(o, 'plan', { log });
  const names = readSweepFile(dir)!.points.map((p) => p.name);
  assert.deepEqual(names.slice(0, 2), screen, 'earlier points keep their index');
  // Stage B's fixed start at half the budget is the screen's XBM run itself (same arm, same folder).
  assert.equal(names.length, 2 + 2 + autoPolicies().length + 1);

  lines.length = 0;
  const { results } = await runXbmStudy(o, 'local', { log });
  for (const name of screen) assert.ok(lines.some((l) => l.includes(`completed, reused (${join(dir, name)})`)), `${name} trained by the sweep is reused\n${lines.join('\n')}`);
  assert.equal(results[0].runs.length, names.length);
  const md = readFileSync(join(out, 'study.md'), 'utf8');
  assert.match(md, /### tiny: .*8 iterations, M = 16/);
  assert.match(md, /Acceptance: best fixed start \d+/);
  for (const p of autoPolicies()) assert.match(md, new RegExp(`\\| auto:${p} \\| [^|]+ \\| -?\\d+\\.\\d\\d \\| \\d/1 \\| \\d/1`));
  assert.equal(readFileSync(join(out, 'study.csv'), 'utf8').trim().split('\n').length, 1 + names.length);
  assert.ok(existsSync(join(out, 'report-tiny', 'index.html')));

  lines.length = 0;
  await runXbmStudy(o, 'plan', { log });
  assert.ok(lines.some((l) => l.includes('tiny: every run completed')), lines.join('\n'));
});
