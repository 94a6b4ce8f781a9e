import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSweepFile } from '../../src/io/formats/sweep-file.js';
import { parseSmartMiningStudyArgs } from '../../src/study/smart-mining-study-args.js';
import { runSmartMiningStudy, SMART_ARMS, smartArmFlags, smartPlan, smartRegimes, smartTable, type SmartRunRow } from '../../src/study/smart-mining-study.js';
import { tempDir } from '../helpers/tmp.js';

test('the arms differ from the baseline in the loss, the memory or the mining, each from a fifth of the budget', () => {
  const o = { xbmSize: 1000, index: 'hnsw' as const };
  assert.deepEqual(smartArmFlags('baseline', 250, o), { loss: 'triplet' });
  assert.deepEqual(smartArmFlags('xbm', 250, o), { loss: 'triplet', xbmSize: 1000, xbmStart: '50' });
  assert.deepEqual(smartArmFlags('smart', 250, o), { loss: 'triplet-global', batchMining: 'smart', index: 'hnsw', indexRefresh: 50 });
  const planned = smartPlan({ out: 'o', seeds: [1, 2], regimes: smartRegimes(() => 10), arms: SMART_ARMS, backend: 'cpu', xbmSize: 100, index: 'exact' });
  assert.equal(planned.length, 2 * SMART_ARMS.length * 2, 'every run planned and validated up front');
  assert.equal(planned[0].dir, 'o/default/baseline-seed1');
});

test('the table: mean ± SD per regime and arm', () => {
  const row = (arm: string, r1: number): SmartRunRow => ({ regime: 'default', arm, seed: 1, status: 'completed', r_at_1: r1, map_at_r: r1 / 2, ms_per_iteration: 20, wall_s: 10, refresh_s: 1, index_recall: 1, adjustments: 0, collapsed: 'no', backend: 'cpu', run: '' });
  const md = smartTable(smartRegimes(() => 8).slice(0, 1), ['baseline'], [row('baseline', 0.5), row('baseline', 0.7), row('xbm', 0.1)]);
  assert.match(md, /\| default \| baseline \| 8 \| 2 \| 0\.600 ± 0\.141 \| 0\.300 ± 0\.071 \| 20 \| 10 \| 1\.0 \|/);
});

test('emitted as a Slurm array: one sweep folder per regime, each run a point', async (t) => {
  const out = join(tempDir(t), 'smart');
  const o = parseSmartMiningStudyArgs(['--out', out, '--iterations', '10', '--seeds', '2', '--index', 'exact', '--backend', 'cpu', '--slurm', '--time', '0:30:00']);
  assert.equal(await runSmartMiningStudy(o, o.mode, { cluster: o.cluster, log: () => {} }), null);
  for (const regime of ['default', 'pretrained']) {
    const dir = join(out, regime);
    assert.deepEqual(readSweepFile(dir)!.points.map((p) => p.name), ['baseline', 'xbm', 'smart'].flatMap((a) => [`${a}-seed1`, `${a}-seed2`]));
    const sbatch = readFileSync(join(dir, 'slurm', 'sweep.sbatch'), 'utf8');
    assert.match(sbatch, /--array=0-5\b/);
    assert.match(sbatch, /--time=0:30:00/);
  }
});
