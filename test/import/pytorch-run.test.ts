import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STUDY_CHOICE } from '../../src/config/study-choice.js';
import { readCsv } from '../../src/io/csv.js';
import { readRunRecord } from '../../src/io/formats/run-record.js';
import { readProbe } from '../../src/io/probe-file.js';
import { readSnapshot } from '../../src/io/snapshot-file.js';
import type { DriftRow } from '../../src/io/tables.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { FIXTURES, PYTHON_DIR, python, requirePython } from './python.js';

interface FixtureInfo {
  schedule: number[];
  probe: number;
  dim: number;
  drift: Record<string, number>;
}

/**
 * The "done when": a PyTorch run becomes a report through the documented commands. A tiny
 * seeded torch loop with a memory, instrumented with python/xbm_drift_log.py, then the real CLI:
 * import, drift, warmup, report.
 */
test('a PyTorch run instrumented with xbm_drift_log goes through import, drift, warmup and report', async (t) => {
  if (!requirePython(t, ['numpy', 'torch'])) return;
  const run = join(tempDir(t), 'tiny-torch');
  const info = JSON.parse(python([join(FIXTURES, 'tiny_torch_run.py'), PYTHON_DIR, run]).trim().split('\n').at(-1)!) as FixtureInfo;

  // import: one Arrow snapshot per numpy snapshot, the probe set, and nothing yet in analysis/.
  const imp = await runCli(['import', run]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(imp.stderr, '', 'the tiny run embeds unit vectors: no note expected');
  assert.match(imp.stdout, new RegExp(`imported ${info.schedule.length} snapshot\\(s\\), iterations 0\\.\\.30, probe ${info.probe} x ${info.dim}`));
  const arrows = readdirSync(join(run, 'snapshots')).sort();
  assert.deepEqual(arrows, info.schedule.map((i) => `iter-${String(i).padStart(6, '0')}.arrow`));
  const probe = readProbe(join(run, 'probe.arrow'));
  const record = readRunRecord(join(run, 'run.json'))!;
  assert.equal(probe.n, info.probe);
  assert.equal(probe.runId, record.runId);
  const snap = readSnapshot(join(run, 'snapshots', 'iter-000030.arrow'));
  assert.equal(snap.dim, info.dim);
  assert.equal(snap.normalized, true);
  assert.deepEqual([...snap.sampleIds], [...probe.sampleIds]);
  assert.equal(record.status, 'completed');
  assert.equal(record.xbm.start, 10);
  assert.equal(record.iterationsDone, 30);

  // drift: exactly the (t, dt) pairs the schedule supports, with the values numpy computed.
  const drift = await runCli(['drift', run, '--gaps', '1,5,10']);
  assert.equal(drift.code, 0, drift.stderr);
  const rows = await readCsv<DriftRow>(join(run, 'analysis', 'drift.csv'));
  const have = new Set(info.schedule);
  const expected = [1, 5, 10].flatMap((g) => info.schedule.filter((i) => have.has(i - g)).map((i) => `${i},${g}`));
  assert.deepEqual(rows.map((r) => `${r.iteration},${r.gap}`).sort(), expected.sort());
  for (const r of rows) {
    assert.equal(r.n, info.probe);
    assert.ok(r.mean >= 0 && r.mean <= 4 && r.max <= 4 + 1e-5, `D(${r.iteration}; ${r.gap}) = ${r.mean} is not in [0, 4]`);
    assert.ok(r.median <= r.p90 && r.p90 <= r.max);
  }
  for (const [key, want] of Object.entries(info.drift)) {
    const [it, gap] = key.split(',').map(Number);
    const row = rows.find((r) => r.iteration === it && r.gap === gap);
    assert.ok(row, `no drift row for t=${it}, dt=${gap}`);
    assert.ok(Math.abs(row.mean - want) <= 1e-5 * Math.max(1, want), `D(${it}; ${gap}) = ${row.mean}, numpy says ${want}`);
  }
  // The loop trains: drift over one step shrinks from the start to the end.
  const d1 = (it: number) => rows.find((r) => r.iteration === it && r.gap === 1)!.mean;
  assert.ok(d1(30) < d1(5), `D(t; 1) did not fall: ${d1(5)} at 5, ${d1(30)} at 30`);

  // warmup: reads M, B and the margin from the Python module's config.json.
  const warm = await runCli(['warmup', run]);
  assert.equal(warm.code, 0, warm.stderr);
  const wf = JSON.parse(readFileSync(join(run, 'analysis', 'warmup.json'), 'utf8'));
  assert.deepEqual(wf.context, { memorySize: 36, batchSize: 12, margin: 0.5, lossKind: 'contrastive' });
  assert.equal(wf.decision.policy, STUDY_CHOICE.policy, 'no policy in config.json: what auto means');
  assert.equal(wf.decision.evidence.memorySpan, 3);

  // report: the HTML and figures from the run's tables, with the run's name.
  const rep = await runCli(['report', run]);
  assert.equal(rep.code, 0, rep.stderr);
  const html = join(run, 'report', 'index.html');
  assert.ok(existsSync(html), 'report/index.html was not written');
  assert.match(readFileSync(html, 'utf8'), /tiny-torch/);
  const figures = readdirSync(join(run, 'report', 'figures'));
  assert.ok(figures.some((f) => f.startsWith('drift') && f.endsWith('.svg')), `no drift figure among ${figures.join(', ')}`);
});
