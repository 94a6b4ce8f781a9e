import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build-report.js';
import { specToSvg } from '../../src/report/render-svg.js';
import { compareGolden, GOLDEN_DIR, roundNumbers } from './golden.js';
import { makePair, makeSweep } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

test('roundNumbers rounds decimals to 2 places and leaves integers and names alone', () => {
  assert.equal(roundNumbers('<path d="M0.004,12.3456L-0.001,3e-7h-2.111Z" id="clip12"/>'), '<path d="M0,12.35L0,0h-2.11Z" id="clip12"/>');
  assert.equal(roundNumbers('<g fill="#ac5e10" transform="translate(10.555,-2)"><text>0.123</text></g>'), '<g fill="#ac5e10" transform="translate(10.56,-2)"><text>0.12</text></g>');
  assert.equal(roundNumbers('<text>1,024 007</text>'), '<text>1,024 007</text>');
});

test('compareGolden writes a -changed file on mismatch and removes it once equal', (t) => {
  const name = `zz-selftest-${process.pid}`;
  t.after(() => {
    rmSync(join(GOLDEN_DIR, `${name}.svg`), { force: true });
    rmSync(join(GOLDEN_DIR, `${name}-changed.svg`), { force: true });
  });
  assert.equal(compareGolden(name, '<svg>1.001</svg>', true), null);
  assert.equal(readFileSync(join(GOLDEN_DIR, `${name}.svg`), 'utf8'), '<svg>1</svg>', 'the golden holds the rounded SVG');
  assert.equal(compareGolden(name, '<svg>1.004</svg>', false), null, 'equal after rounding');
  assert.match(compareGolden(name, '<svg>1.5</svg>', false)!, /changed/);
  assert.equal(readFileSync(join(GOLDEN_DIR, `${name}-changed.svg`), 'utf8'), '<svg>1.5</svg>');
  assert.equal(compareGolden(name, '<svg>1</svg>', false), null);
  assert.equal(existsSync(join(GOLDEN_DIR, `${name}-changed.svg`)), false);
});

test('rendered SVGs of a fixed tiny input match the golden files (UPDATE_GOLDEN=1 to accept a change)', async (t) => {
  const root = tempDir(t);
  const { baseline, xbm } = await makePair(join(root, 'runs'), { iterations: 40, xbmStart: 20, xbmSize: 256, batchSize: 16, evalEvery: 10, driftEvery: 10, gaps: [1, 5], stalenessEvery: 5 });
  await makeSweep(join(root, 'sweep'), [{ key: 'batch', values: ['16', '32'] }, { key: 'xbm', values: ['off', 'on'] }], { iterations: 20 });
  await makeSweep(join(root, 'memory'), [{ key: 'memory', values: ['256', '1024'] }, { key: 'xbm', values: ['on', 'off'] }], { iterations: 20 });
  const runs = await buildReport([baseline, xbm], { smooth: 3 });
  const batch = await buildReport(join(root, 'sweep'));
  const memory = await buildReport(join(root, 'memory'));
  const figures = [...runs.figures, ...batch.figures.filter((f) => f.id === 'sweep-batch'), ...memory.figures.filter((f) => f.id === 'sweep-memory')];
  assert.equal(figures.length, 10);
  const problems: string[] = [];
  for (const f of figures) {
    const { svg } = await specToSvg(f.spec);
    const problem = compareGolden(f.id, svg);
    if (problem) problems.push(problem);
  }
  assert.deepEqual(problems, []);
});
