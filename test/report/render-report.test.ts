import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { readCsvRaw } from '../../src/io/csv.js';
import { reportMessages } from '../../src/messages/report.js';
import { buildReport } from '../../src/report/build-report.js';
import { browserLibraries, reportHtml } from '../../src/report/html.js';
import { renderReport } from '../../src/report/render-report.js';
import { getTheme } from '../../src/report/theme.js';
import type { Report } from '../../src/report/types.js';
import { makePair } from './fixtures.js';
import { vegaLiteErrors } from './json-schema.js';
import { tempDir } from '../helpers/tmp.js';

async function pairReport(root: string, theme: 'default' | 'paper' = 'default'): Promise<Report> {
  const { baseline, xbm } = await makePair(join(root, 'runs'), { iterations: 120 });
  return buildReport([baseline, xbm], { theme });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('renderReport writes index.html, report.json and svg/png/vl.json/csv for every figure', async (t) => {
  const root = tempDir(t);
  const report = await pairReport(root);
  const out = join(root, 'report');
  const res = await renderReport(report, out);
  assert.deepEqual(res.warnings, []);
  assert.deepEqual(readdirSync(out).sort(), ['figures', 'index.html', 'report.json']);
  const files = readdirSync(join(out, 'figures')).sort();
  for (const f of report.figures) for (const ext of ['svg', 'png', 'vl.json', 'csv']) assert.ok(files.includes(`${f.id}.${ext}`), `${f.id}.${ext}`);
  assert.equal(files.length, report.figures.length * 4);
  const drift = report.figures.find((f) => f.id === 'drift')!;
  const svg = readFileSync(join(out, 'figures', 'drift.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns/);
  assert.ok(readFileSync(join(out, 'figures', 'drift.png')).subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  const vl = JSON.parse(readFileSync(join(out, 'figures', 'drift.vl.json'), 'utf8'));
  assert.deepEqual(vegaLiteErrors(vl), []);
  assert.equal(vl.datasets.table.length, drift.data.length, 'data inlined, opens in the Vega editor');
  const csv = await readCsvRaw(join(out, 'figures', 'drift.csv'));
  assert.deepEqual(Object.keys(csv[0]), drift.columns);
  assert.equal(csv.length, drift.data.length);
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(json.kind, 'xbm-drift-report');
  assert.deepEqual(json.figures.map((f: { id: string }) => f.id), report.figures.map((f) => f.id));
  // nothing left behind next to the report
  assert.deepEqual(readdirSync(root).sort(), ['report', 'runs']);
});

test('the page inlines vega, vega-lite and vega-embed, every spec, and the summary', async (t) => {
  const root = tempDir(t);
  const report = await pairReport(root);
  const res = await renderReport(report, join(root, 'r'));
  const html = readFileSync(res.index, 'utf8');
  for (const lib of browserLibraries()) assert.ok(html.includes(lib.code.slice(0, 200)), `${lib.name} inlined`);
  assert.ok(!/<script[^>]+src=/.test(html), 'no external script');
  assert.ok(!/https?:\/\/(?!vega\.github\.io\/schema|www\.w3\.org)/.test(html.replace(/<script data-lib[\s\S]*?<\/script>/g, '')), 'no network address outside the libraries');
  const specs = JSON.parse(/<script type="application\/json" id="specs">([\s\S]*?)<\/script>/.exec(html)![1]);
  assert.deepEqual(Object.keys(specs), report.figures.map((f) => f.id));
  assert.match(html, /XBM started at iteration 100<\/b>, chosen while the run trained by the <code>staleness<\/code> policy/);
  assert.match(html, /D\(t; 16\) stayed below 0.02/);
  assert.match(html, /<td class="l">100 \(staleness\)<\/td>/);
  assert.match(html, /data-figures="8"/);
});

test('HTML escapes names and keeps "</script>" inside data from closing the element', () => {
  const theme = getTheme('default');
  const evil = '</script><b>x</b>';
  const html = reportHtml(
    {
      title: evil,
      summary: { runs: [{ key: evil, name: evil, dir: 'd', dataset: 'm', start: null, final: {} }], sweeps: [], skipped: [], warnings: [] },
      figures: [{ id: 'drift', title: 't', spec: { mark: 'point', data: { values: [{ a: evil }] } } as never, data: [], columns: [], span: 'single', notes: [], warnings: [] }],
      skipped: [],
      theme,
      runColors: { [evil]: '#000000' },
    },
    [],
  );
  assert.equal(html.split('</script>').length - 1, 3, 'only the page\'s own three inline scripts close');
  assert.ok(!html.includes('<b>x</b>'), 'escaped');
});

test('a collapsed run is flagged with its signals; a start decision shows its evidence', async (t) => {
  const root = tempDir(t);
  const { makeRun } = await import('./fixtures.js');
  const dir = await makeRun(join(root, 'c'), { name: 'c', iterations: 80, xbmStart: 30, collapsed: true });
  const res = await renderReport(await buildReport(dir), join(root, 'out'));
  const html = readFileSync(res.index, 'utf8');
  assert.match(html, /<span class="bad">collapsed<\/span>/);
  assert.match(html, /memory loss 45 is 22x its reference 2/);
  assert.match(html, /<details><summary>Evidence[^<]*<\/summary>[\s\S]*?&quot;driftThreshold&quot;: 0.02/);
});

test('paper theme: one-column figures are fitted to 240 units, two-column ones to 504; PNGs at 300 dpi', async (t) => {
  const root = tempDir(t);
  const report = await pairReport(root);
  const res = await renderReport(report, join(root, 'paper'), { theme: 'paper' });
  const width = (id: string) => Number(/^<svg[^>]* width="([\d.]+)"/.exec(readFileSync(join(res.outDir, 'figures', `${id}.svg`), 'utf8'))![1]);
  // fitted to the column: 240 units (3.33 in) and 504 units (7 in), within 2 %
  for (const id of ['drift', 'retrieval', 'losses']) assert.ok(Math.abs(width(id) - 240) <= 5, `${id}: ${width(id)}`);
  for (const id of ['mining', 'staleness', 'resources']) assert.ok(Math.abs(width(id) - 504) <= 10, `${id}: ${width(id)}`);
  const png = readFileSync(join(res.outDir, 'figures', 'retrieval.png'));
  assert.equal(png.readUInt32BE(16), Math.round(width('retrieval') * (300 / 72)), 'PNG width = SVG width x 300/72');
  const spec = JSON.parse(readFileSync(join(res.outDir, 'figures', 'retrieval.vl.json'), 'utf8'));
  assert.equal(spec.config.axis.labelFontSize, 8);
  assert.equal(spec.title, undefined, 'the caption names a paper figure');
  assert.equal(report.figures.find((f) => f.id === 'retrieval')!.spec.title, 'Test retrieval: R@1 and MAP@R', 'the report keeps its own specs');
  assert.deepEqual(spec.config.range.category, ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442']);
  assert.equal(JSON.parse(readFileSync(join(res.outDir, 'report.json'), 'utf8')).theme, 'paper');
});

test('a rerun replaces an old report whole; a folder that is not a report is never replaced', async (t) => {
  const root = tempDir(t);
  const report = await pairReport(root);
  const out = join(root, 'report');
  await renderReport(report, out);
  writeFileSync(join(out, 'figures', 'stale.svg'), 'old');
  await renderReport(report, out);
  assert.ok(!existsSync(join(out, 'figures', 'stale.svg')), 'old files gone');
  const precious = join(root, 'precious');
  mkdirSync(precious);
  writeFileSync(join(precious, 'thesis.tex'), 'x');
  await assert.rejects(renderReport(report, precious), new UserError(reportMessages.outNotReport(precious)));
  assert.deepEqual(readdirSync(precious), ['thesis.tex']);
  // A previous report with the user's notes beside it: the marker alone does not make it replaceable.
  writeFileSync(join(out, 'notes.md'), 'mine');
  await assert.rejects(renderReport(report, out), new UserError(reportMessages.outNotReport(out)));
  writeFileSync(join(out, 'figures', 'sketch.txt'), 'mine too');
  rmSync(join(out, 'notes.md'));
  await assert.rejects(renderReport(report, out), new UserError(reportMessages.outNotReport(out)));
  assert.equal(readFileSync(join(out, 'figures', 'sketch.txt'), 'utf8'), 'mine too');
});

test('an error while rendering leaves the old report intact and no partial folder behind', async (t) => {
  const root = tempDir(t);
  const report = await pairReport(root);
  const out = join(root, 'report');
  await renderReport(report, out);
  const before = readFileSync(join(out, 'index.html'), 'utf8');
  const broken: Report = { ...report, figures: [...report.figures, { ...report.figures[0], id: 'losses', spec: { mark: { type: 'line' }, data: { name: 'nowhere' }, encoding: { x: { field: 'a', type: 'bogus' } } } as never }] };
  await assert.rejects(renderReport(broken, out));
  assert.equal(readFileSync(join(out, 'index.html'), 'utf8'), before);
  assert.deepEqual(readdirSync(dirname(out)).sort(), ['report', 'runs']);
});
