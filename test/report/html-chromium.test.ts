import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../src/report/build-report.js';
import { renderReport } from '../../src/report/render-report.js';
import { checkPage, chromiumAvailable, CHROMIUM } from './chromium.js';
import { makePair, makeSweep } from './fixtures.js';
import { makeDemoPair } from './demo-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
// .ci/run installs Chromium, so under CI a missing browser fails these tests; elsewhere they skip, said once.
const missing = chromiumAvailable() ? null : `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y --no-install-recommends chromium\` (or set CHROMIUM_PATH)`;
const skip = missing !== null && !process.env.CI ? `${missing}; CI fails here instead of skipping` : false;
const requireChromium = () => assert.equal(missing, null, missing ?? '');

describe('the HTML report in headless Chromium', { skip }, () => {
beforeEach(requireChromium);

test('at 1280 px the demo report fits the page: no sideways scrolling, every figure drawn at the width of its cell', { timeout: 180_000 }, async (t) => {
  const root = tempDir(t);
  const { baseline, xbm } = await makeDemoPair(join(root, 'runs'));
  const report = await buildReport([baseline, xbm]);
  const res = await renderReport(report, join(root, 'report'));
  const page = await checkPage(res.index, { width: 1280 });
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'report-demo-1280.png'), page.screenshot);
  assert.deepEqual(page.consoleErrors, []);
  assert.equal(page.renderError, null);
  assert.equal(page.svgCount, report.figures.length, 'one drawn SVG per figure');
  assert.ok(page.scrollWidth <= page.innerWidth, `the page is ${page.scrollWidth} px wide in a ${page.innerWidth} px window`);
  assert.deepEqual(page.sidewaysScrollers, [], 'nothing on the page scrolls sideways (the runs table fits)');
  for (const f of page.figureWidths) {
    assert.ok(f.svg > 0, `${f.id} is drawn`);
    // Sized to the page: each figure fills its cell (half the page or all of it; vega-embed keeps
    // 38 px on the right for its menu), never a corner of it.
    assert.ok(f.svg >= 0.85 * f.cell && f.svg <= f.cell + 0.5, `${f.id}: ${f.svg} px drawn in a ${f.cell} px cell`);
    assert.ok(f.cell >= 0.35 * page.innerWidth, `${f.id}: a ${f.cell} px cell in a ${page.innerWidth} px window`);
  }
});

for (const theme of ['default', 'paper'] as const) {
  test(`the ${theme} HTML report opens offline in headless Chromium, draws every figure, logs no error`, { timeout: 180_000 }, async (t) => {
    const root = tempDir(t);
    const { baseline, xbm } = await makePair(join(root, 'runs'), { iterations: 300, files: { warmup: true } });
    const sweep = await makeSweep(join(root, 'sweep'), [{ key: 'batch', values: ['16', '32', '64'] }, { key: 'xbm', values: ['off', 'on'] }], { iterations: 40 });
    const report = await buildReport([baseline, xbm, sweep], { theme, smooth: 10, force: true });
    const res = await renderReport(report, join(root, 'report'));
    const page = await checkPage(res.index);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `report-${theme}.png`), page.screenshot);
    assert.deepEqual(page.consoleErrors, []);
    assert.equal(page.renderError, null);
    assert.equal(page.rendered, String(report.figures.length));
    assert.equal(page.figureCount, report.figures.length);
    assert.equal(page.svgCount, report.figures.length, 'one drawn SVG per figure');
    assert.ok(page.screenshot.length > 10_000, `screenshot ${page.screenshot.length} bytes`);
  });
}

test('the Chromium check can fail: a page with a broken spec reports the error', { timeout: 120_000 }, async (t) => {
  const root = tempDir(t);
  const { baseline } = await makePair(join(root, 'runs'), { iterations: 60 });
  const report = await buildReport([baseline]);
  const broken = { ...report, figures: [report.figures[0], { ...report.figures[1], spec: { mark: 'line', data: { name: 'missing' }, transform: [{ calculate: 'datum.a.b.c()', as: 'x' }], encoding: { x: { field: 'x', type: 'quantitative' } } } as never }] };
  // render the good report, then swap the broken specs into its page only
  const res = await renderReport(report, join(root, 'r'));
  const { reportHtml } = await import('../../src/report/html.js');
  const { getTheme } = await import('../../src/report/theme.js');
  writeFileSync(res.index, reportHtml({ title: 'broken', summary: report.summary, figures: broken.figures, skipped: [], theme: getTheme('default'), runColors: {} }));
  const page = await checkPage(res.index, { timeoutMs: 30_000 });
  assert.ok(page.consoleErrors.length > 0 || page.renderError !== null || page.svgCount < 2, JSON.stringify({ ...page, screenshot: undefined }));
  assert.notEqual(page.rendered, '2');
});
});
