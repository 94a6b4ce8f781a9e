import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importRun } from '../../src/import/import-run.js';
import { readCsv } from '../../src/io/csv.js';
import { readRunConfig } from '../../src/io/formats/run-config.js';
import { readRunRecord } from '../../src/io/formats/run-record.js';
import { METRICS_COLUMNS, type EvalRow, type MetricsRow, type StalenessRow } from '../../src/io/tables.js';
import { importMessages as M } from '../../src/messages/import.js';
import { tempDir } from '../helpers/tmp.js';
import { PYTHON_DIR, python, requirePython } from './python.js';

/** python/xbm_drift_log.py on its own (numpy only): what it writes is what the TypeScript readers read. */

const script = (body: string) => `
import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
import numpy as np, math
from xbm_drift_log import RunLogger, snapshot_iterations, staleness_row
${body}`;

test('metrics, eval and staleness rows read back through the TypeScript readers; NaN stays NaN', async (t) => {
  if (!requirePython(t, ['numpy'])) return;
  const run = join(tempDir(t), 'r');
  python(['-c', script(`
with RunLogger(${JSON.stringify(run)}, batch_size=2, iterations=3, memory_size=4, seed=3, flush_every=2) as log:
    log.log_step(1, loss=0.25, xbm_active=False, memory_written_at=np.array([1, 1, 0, 0]), memory_filled=np.array([1, 1, 0, 0], bool))
    log.log_step(2, loss=float('nan'), xbm_active=True, memory_ages=np.array([0, 0, 1, 1]), event='note, with "quotes"')
    log.log_step(3, loss=1e-20, xbm_active=True, memory_fill=4)
    log.log_eval(3, recall_at_1=0.5, map_at_r=0.125)
    log.log_staleness(3, np.zeros((2, 2)), np.array([[1.0, 0], [0, 2]]), [1, 3])
`)]);
  const metrics = await readCsv<MetricsRow>(join(run, 'metrics.csv'));
  assert.deepEqual(Object.keys(metrics[0]), [...METRICS_COLUMNS]);
  assert.deepEqual(metrics.map((m) => m.iteration), [1, 2, 3]);
  assert.equal(metrics[0].loss, 0.25);
  assert.ok(Number.isNaN(metrics[1].loss), 'a NaN loss must read back as NaN');
  assert.equal(metrics[2].loss, 1e-20);
  assert.ok(Number.isNaN(metrics[0].lr), 'a column not given is NaN');
  assert.deepEqual([metrics[0].memory_age_min, metrics[0].memory_age_mean, metrics[0].memory_age_max], [0, 0, 0]);
  assert.deepEqual([metrics[1].memory_age_min, metrics[1].memory_age_mean, metrics[1].memory_age_max], [0, 0.5, 1]);
  assert.deepEqual(metrics.map((m) => m.xbm_active), [0, 1, 1]);
  assert.deepEqual(metrics.map((m) => m.event), ['', 'note, with "quotes"', '']);
  assert.equal(metrics[2].memory_fill, 4);

  const evals = await readCsv<EvalRow>(join(run, 'eval.csv'));
  assert.equal(evals.length, 1);
  assert.equal(evals[0].split, 'test');
  assert.equal(evals[0].map_at_r, 0.125);
  const st = await readCsv<StalenessRow>(join(run, 'staleness.csv'));
  assert.deepEqual(st, [{ iteration: 3, entries: 2, age_mean: 2, age_max: 3, drift_mean: 2.5, drift_median: 2.5, drift_p90: 3.7, drift_max: 4 }]);

  const rec = readRunRecord(join(run, 'run.json'))!;
  assert.equal(rec.status, 'completed');
  assert.equal(rec.xbm.start, 2, 'the first step with xbm_active=1 is the start');
  assert.equal(rec.xbm.span, 2);
  assert.equal(rec.iterationsDone, 3);
  assert.equal(rec.final?.recall_at_1, 0.5);
  assert.ok(rec.endedAt !== null);
  const cfg = readRunConfig(join(run, 'config.json'))!;
  assert.equal(cfg.batchSize, 2);
  assert.deepEqual(cfg.loss, { kind: 'contrastive', margin: 0.5 });
  assert.equal(cfg.xbm?.size, 4);
});

test('a loop that raises leaves run.json failed (Ctrl-C: interrupted), and what it logged still imports', (t) => {
  if (!requirePython(t, ['numpy'])) return;
  const dir = tempDir(t);
  for (const [raise, status] of [['ValueError("boom")', 'failed'], ['KeyboardInterrupt()', 'interrupted']] as const) {
    const run = join(dir, status);
    python(['-c', script(`
try:
    with RunLogger(${JSON.stringify(run)}, batch_size=2, iterations=100, seed=0) as log:
        log.set_probe([4, 2], [1, 1])
        for it in (0, 1):
            e = np.eye(2, 3)[[0, 1]] if it == 0 else np.eye(2, 3)[[1, 0]]
            log.log_snapshot(it, e)
            if it: log.log_step(it, loss=1.0)
        raise ${raise}
except (ValueError, KeyboardInterrupt):
    pass
`)]);
    const rec = readRunRecord(join(run, 'run.json'))!;
    assert.equal(rec.status, status);
    if (status === 'failed') assert.equal(rec.message, 'ValueError: boom');
    assert.equal(rec.iterationsDone, 1);
    const { plan } = importRun(run);
    assert.deepEqual(plan.snapshots.map((s) => s.iteration), [0, 1]);
  }
});

test('the logger refuses bad input at the call, in Python, before anything is written', (t) => {
  if (!requirePython(t, ['numpy'])) return;
  const run = join(tempDir(t), 'r');
  const out = python(['-c', script(`
def err(f):
    try:
        f(); return 'no error'
    except Exception as e:
        return type(e).__name__ + ': ' + str(e)
log = RunLogger(${JSON.stringify(run)}, batch_size=2, iterations=5)
print(err(lambda: log.log_snapshot(0, np.zeros((2, 3)))))
log.set_probe([1, 2], [0, 0])
print(err(lambda: log.log_snapshot(0, np.zeros((3, 3)))))
print(err(lambda: log.log_snapshot(0, np.full((2, 3), np.nan))))
print(err(lambda: log.log_step(1, los=1.0)))
print(err(lambda: log.set_probe([1, 1], [0, 0])))
print(err(lambda: RunLogger(${JSON.stringify(run)}, batch_size=2, iterations=5)))
print(err(lambda: RunLogger(${JSON.stringify(run)} + '2', batch_size=2, iterations=5, loss='arcface')))
print(snapshot_iterations(20, every=10, offsets=(2,)))
`)]).trim().split('\n');
  assert.match(out[0], /^RuntimeError: log_snapshot before set_probe/);
  assert.match(out[1], /^ValueError: snapshot 0: embeddings \(3, 3\), expected \[2, d\]/);
  assert.match(out[2], /^ValueError: snapshot 0: embeddings hold NaN/);
  assert.match(out[3], /^ValueError: metrics\.csv has no column 'los'/);
  assert.match(out[4], /^ValueError: probe: sample ids repeat/);
  assert.match(out[5], /^FileExistsError: .*config\.json exists/);
  assert.match(out[6], /^ValueError: loss 'arcface': expected one of contrastive, triplet, multi-similarity/);
  assert.equal(out[7], '[0, 8, 10, 18, 20]', 'the schedule of src/config/snapshot-schedule.ts');
  assert.deepEqual(readdirSync(join(run, 'raw')).sort(), ['probe-labels.npy', 'probe-sample-ids.npy']);
  assert.equal(existsSync(join(run + '2', 'config.json')), false);
  rmSync(join(run, 'raw'), { recursive: true });
  assert.throws(() => importRun(run), { message: M.notAPythonRun(run, 'raw') });
});
