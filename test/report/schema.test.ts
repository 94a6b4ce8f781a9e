import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build-report.js';
import { specToSvg } from '../../src/report/render-svg.js';
import type { Report } from '../../src/report/types.js';
import { makePair, makeRun, makeSweep } from './fixtures.js';
import { vegaLiteErrors } from './json-schema.js';
import { tempDir } from '../helpers/tmp.js';

test('the schema check can fail: broken specs are rejected with a path to the fault', () => {
  assert.deepEqual(vegaLiteErrors({ data: { values: [] }, mark: 'line', encoding: { x: { field: 'a', type: 'quant' } } }), [
    '/encoding/x/type: expected one of ["quantitative","ordinal","temporal","nominal"], got "quant"',
  ]);
  assert.deepEqual(vegaLiteErrors({ data: { values: [] }, mark: 'line', bogus: 1 }), ['/bogus: unknown property "bogus"']);
  assert.ok(vegaLiteErrors({ data: { values: [] }, mark: 'lien' }).length > 0, 'unknown mark');
  assert.ok(vegaLiteErrors({ data: { values: [] }, mark: 'line', encoding: { y: { field: 'v', type: 'quantitative', scale: { type: 'logg' } } } }).length > 0, 'unknown scale');
  assert.deepEqual(vegaLiteErrors({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }), []);
});

async function reports(t: { after: (fn: () => void) => void }): Promise<Report[]> {
  const root = tempDir(t);
  const { baseline, xbm } = await makePair(join(root, 'runs'), { iterations: 160 });
  const collapsed = await makeRun(join(root, 'runs', 'collapsed'), { name: 'collapsed', iterations: 160, xbmStart: 60, collapsed: true, files: { warmup: true, memoryStaleness: true } });
  const smart = await makeRun(join(root, 'runs', 'smart'), { name: 'smart', iterations: 160, xbmStart: null, files: { index: true } });
  await makeSweep(join(root, 'batch'), [{ key: 'batch', values: ['16', '32', '64'] }, { key: 'xbm', values: ['off', 'on'] }], { iterations: 40 });
  await makeSweep(join(root, 'memory'), [{ key: 'memory', values: ['256', '512', '1024'] }, { key: 'batch', values: ['16', '32'] }], { iterations: 40 });
  const out: Report[] = [];
  for (const theme of ['default', 'paper'] as const) {
    out.push(await buildReport([baseline, xbm, collapsed, smart], { theme, smooth: 8 }));
    out.push(await buildReport([baseline], { theme }));
    out.push(await buildReport([join(root, 'batch'), join(root, 'memory')], { theme }));
  }
  return out;
}

test('every figure spec validates against the Vega-Lite schema and renders with no Vega-Lite or Vega warning', async (t) => {
  const all = await reports(t);
  const seen = new Set<string>();
  for (const rep of all)
    for (const f of rep.figures) {
      seen.add(f.id);
      assert.deepEqual(vegaLiteErrors(f.spec), [], `${rep.theme} ${f.id}`);
      const { svg, warnings } = await specToSvg(f.spec);
      assert.deepEqual(warnings, [], `${rep.theme} ${f.id}`);
      assert.match(svg, /^<svg /);
    }
  assert.deepEqual([...seen].sort(), ['decision-flips', 'drift', 'losses', 'memory-staleness', 'mining', 'resources', 'retrieval', 'retrieval-time', 'smart-index', 'staleness', 'sweep-batch', 'sweep-memory']);
});
