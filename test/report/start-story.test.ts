/**
 * The report tells who chose each XBM start and from which run's drift (issue 24, section 4): the
 * demo's XBM run has a fixed start copied from the scatter policy's decision on the baseline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build-report.js';
import { escapeHtml, reportHtml } from '../../src/report/html.js';
import { getTheme } from '../../src/report/theme.js';
import { startStory } from '../../src/report/start-story.js';
import type { Report } from '../../src/report/types.js';
import { writeWarmupFile } from '../../src/io/formats/warmup-file.js';
import { runPaths } from '../../src/io/run-paths.js';
import { makeDemoPair } from './demo-fixture.js';
import { makeRun } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const page = (report: Report) =>
  reportHtml({ title: 't', summary: report.summary, figures: report.figures, skipped: report.skipped, theme: getTheme('default'), runColors: {} }, []);
/** The page without its folded parts (<details>) and scripts: what a reader sees at first. */
const visible = (html: string) => html.replace(/<details[\s\S]*?<\/details>/g, '').replace(/<script[\s\S]*?<\/script>/g, '');
const datasets = (report: Report, id: string) => (report.figures.find((f) => f.id === id)!.spec as unknown as { datasets: Record<string, Record<string, unknown>[]> }).datasets;

test('startStory: online decision, a start copied from another run, a plain fixed start, no XBM', () => {
  const scatter = { start: 220, policy: 'scatter', parameters: {}, evidence: {}, reason: 'r' };
  assert.deepEqual(startStory({ key: 'a', start: 220, decision: scatter }), { chooser: 'online', decision: scatter, readOn: null });
  const copied = startStory({ key: 'xbm', start: 220, decision: { start: 220, policy: 'fixed' }, suggestion: scatter, suggestionSource: { writer: 'demo', run: 'runs/baseline', key: 'baseline' } });
  assert.deepEqual(copied, { chooser: 'suggestion', decision: scatter, readOn: 'baseline', writer: 'demo' });
  // The same suggestion with another start (the demo's fallback when the policy never fired): the configuration chose.
  assert.equal(startStory({ key: 'xbm', start: 150, suggestion: { ...scatter, start: null }, suggestionSource: { writer: 'demo', run: 'b', key: 'b' } }).chooser, 'configuration');
  const off = startStory({ key: 'baseline', start: null, suggestion: scatter, suggestionSource: { writer: 'demo', run: 'runs/baseline', key: 'baseline' } });
  assert.deepEqual(off, { chooser: 'off', decision: scatter, readOn: null, writer: 'demo' });
  // A path not among the report's runs is named as written.
  assert.equal(startStory({ key: 'xbm', start: 220, suggestion: scatter, suggestionSource: { writer: 'demo', run: '/elsewhere/base' } }).readOn, '/elsewhere/base');
});

test("the demo's report says the scatter policy chose the XBM start on the baseline, tells the evidence once, in sentences", async (t) => {
  const root = tempDir(t);
  const { baseline, xbm, warmup } = await makeDemoPair(join(root, 'runs'));
  const report = await buildReport([baseline, xbm]);
  const html = page(report);
  const shown = visible(html);
  const start = warmup.decision.start!;

  assert.match(shown, new RegExp(`XBM started at iteration ${start}</b>, a start fixed in the configuration: the demo took it from the <code>scatter</code> policy[^<]*, which read the drift of <b>baseline</b>`));
  assert.doesNotMatch(shown, /policy <code>fixed<\/code>/);
  assert.match(shown, /<td class="l">220 \(scatter on baseline\)<\/td>/);
  // The evidence: the policy's reason as written, once (under the baseline), the raw fields folded away.
  assert.equal(shown.split(escapeHtml(warmup.decision.reason)).length - 1, 1);
  for (const field of ['memorySpan', 'gapLookup', 'thresholdDerivation', 'shortfall']) assert.ok(!shown.includes(field), `${field} is folded away`);
  assert.equal(html.split('<summary>Evidence').length - 1, 1, 'one folded evidence block');
  assert.match(html, /<details><summary>Evidence[^<]*<\/summary><p>The rule: D\(t; S\) &lt;= 1 x W\(t\)/);

  // The runs table fits: the main table has a handful of columns; every column is folded below it.
  const mainHead = /<table class="runs"><thead><tr>(.*?)<\/tr>/.exec(html)![1];
  assert.ok((mainHead.match(/<th/g) ?? []).length <= 8, mainHead);
  assert.match(html, /<details class="more"><summary>Every column[^<]*<\/summary><div class="scroll"><table class="runs-all">/);

  // Figure labels: the XBM run's start names the policy and the run it read.
  const markers = datasets(report, 'drift').markers;
  assert.deepEqual(markers.find((m) => m.run === 'xbm')!.label, [`XBM start ${start}`, '(scatter on baseline)']);
});

test("the drift figure draws the threshold of the policy that decided: scatter's W(t) on the run it read, no margin budget", async (t) => {
  const root = tempDir(t);
  const { baseline, xbm, warmup } = await makeDemoPair(join(root, 'runs'));
  const report = await buildReport([baseline, xbm]);
  const thresholds = datasets(report, 'drift').thresholds;
  const budget = (warmup.decision.evidence as unknown as { driftThreshold: number }).driftThreshold;
  assert.ok(!thresholds.some((r) => r.value === budget), `the margin budget ${budget} is not drawn`);
  // The baseline panel: ratio 1 x W(t) at every snapshot of its drift.csv; the XBM run read none of its own drift.
  const w = new Map(report.runs[0].drift!.map((d) => [d.iteration, d.scatter_within]));
  const curve = thresholds.filter((r) => r.run === 'baseline');
  assert.deepEqual(curve.map((r) => [r.iteration, r.value]), [...w].sort((a, b) => a[0] - b[0]));
  assert.ok(curve.every((r) => r.label === 'scatter threshold W(t)'));
  assert.deepEqual(thresholds.filter((r) => r.run === 'xbm'), []);
  const layers = JSON.stringify(report.figures.find((f) => f.id === 'drift')!.spec);
  assert.match(layers, /"name":"thresholds"\},"transform":\[\{"filter":\{"field":"run","equal":"baseline"\}\}\],"mark":\{"type":"line"/);
});

test("the trial policy's threshold is drawn as ratio x P(t), the probe's spread, on the run it read", async (t) => {
  const root = tempDir(t);
  const { baseline } = await makeDemoPair(join(root, 'runs'), 300, 'trial');
  const report = await buildReport([baseline]);
  const p = new Map(report.runs[0].drift!.map((d) => [d.iteration, d.probe_spread]));
  const curve = datasets(report, 'drift').thresholds.filter((r) => r.run === 'baseline');
  assert.ok(curve.length > 0);
  assert.deepEqual(curve.map((r) => [r.iteration, r.value]), [...p].sort((a, b) => a[0] - b[0]));
  assert.ok(curve.every((r) => r.label === 'trial threshold P(t)'));
});

test('a staleness decision made online is drawn as its constant threshold, labelled with the policy', async (t) => {
  const root = tempDir(t);
  const dir = await makeRun(join(root, 'online'), { name: 'online', xbmStart: 100, policy: 'staleness' });
  const report = await buildReport([dir]);
  assert.deepEqual(datasets(report, 'drift').thresholds, [{ run: 'online', value: 0.02, label: 'staleness threshold, Δt = 16' }]);
  assert.match(visible(page(report)), /XBM started at iteration 100<\/b>, chosen while the run trained by the <code>staleness<\/code> policy/);
});

test("when the demo's policy never fired, the XBM run's start is the configuration's, and the page says the demo fell back", async (t) => {
  const root = tempDir(t);
  const { baseline, xbm, warmup } = await makeDemoPair(join(root, 'runs'));
  const notFired = { ...warmup, decision: { ...warmup.decision, start: null } };
  for (const dir of [baseline, xbm]) writeWarmupFile(runPaths(dir).warmup, notFired);
  const shown = visible(page(await buildReport([baseline, xbm])));
  assert.match(shown, /XBM started at iteration 220<\/b>, fixed in the configuration\. Warm-up analysis \(analysis\/warmup\.json, written by the demo\): the <code>scatter<\/code> policy[^<]* did not fire, reading the drift of <b>baseline<\/b>\. The demo then started XBM halfway/);
  assert.match(shown, /<td class="l">220 \(fixed\)<\/td>/);
});
