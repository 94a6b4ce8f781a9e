import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importRun, planImport } from '../../src/import/import-run.js';
import { encodeNpy } from '../../src/import/npy.js';
import { readSnapshot } from '../../src/io/snapshot-file.js';
import { METRICS_COLUMNS } from '../../src/io/tables.js';
import { importMessages as M } from '../../src/messages/import.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `xbm-drift import` on folders built here byte by byte (no Python needed): a good one imports;
 * each defect is one line naming the file, and nothing is written.
 */

const RUN_ID = 'run-1234';
const N = 4;
const D = 3;

function unitRows(n: number, d: number, seed: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.sin(seed * 7.1 + i * 3.3 + j * 1.7) + 0.1;
      out[i * d + j] = v;
      s += v * v;
    }
    for (let j = 0; j < d; j++) out[i * d + j] /= Math.sqrt(s);
  }
  return out;
}

function record(): Record<string, unknown> {
  return {
    schemaVersion: 1, runId: RUN_ID, name: 'hand-made', status: 'completed',
    dataset: { spec: 'toy', description: 'toy', imageShape: [], trainSize: 40, testSize: 0, trainClasses: 4, testClasses: 0 },
    versions: { xbmDrift: 'xbm_drift_log.py 1' }, backend: { choice: 'external', name: 'pytorch (cpu)' }, seed: 1,
    startedAt: '2026-11-30T10:00:00.000Z', endedAt: '2026-11-30T10:01:00.000Z', resumes: [], iterationsDone: 20, iterations: 20,
    batchSize: 4, parameters: 0,
    xbm: { size: 8, weight: 1, bytes: 0, requested: { kind: 'at', iteration: 10 }, start: 10, paused: false, threshold: null, span: 2, decision: null, events: [] },
    timings: { msPerIteration: null, msPerIterationP90: null, wallSeconds: 1, snapshotSeconds: 0, evalSeconds: 0, trainSeconds: 0 },
    final: null, collapse: null, probe: { size: N },
  };
}

const npy = (path: string, bytes: Uint8Array) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
};

/** A complete folder as xbm_drift_log.py writes it: snapshots at 0, 10, 20. */
function goodFolder(t: Parameters<typeof tempDir>[0]): string {
  const dir = join(tempDir(t), 'run');
  mkdirSync(join(dir, 'raw', 'snapshots'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'hand-made', batchSize: 4, iterations: 20, model: { dim: D }, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 8, weight: 1, start: { kind: 'at', iteration: 10 } } }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record()));
  writeFileSync(join(dir, 'metrics.csv'), METRICS_COLUMNS.join(',') + '\n');
  npy(join(dir, 'raw', 'probe-sample-ids.npy'), encodeNpy('<i8', [N], new BigInt64Array([5n, 1n, 9n, 3n])));
  npy(join(dir, 'raw', 'probe-labels.npy'), encodeNpy('<i4', [N], new Int32Array([0, 1, 0, 1])));
  for (const it of [0, 10, 20]) npy(join(dir, 'raw', 'snapshots', `iter-${String(it).padStart(6, '0')}.npy`), encodeNpy('<f4', [N, D], unitRows(N, D, it)));
  return dir;
}

/** Nothing the importer writes exists. */
function assertNothingWritten(dir: string): void {
  assert.equal(existsSync(join(dir, 'probe.arrow')), false, 'probe.arrow was written');
  assert.equal(existsSync(join(dir, 'snapshots')), false, 'snapshots/ was written');
}

test('a good folder imports: probe.arrow and one snapshot per numpy file, in probe order', (t) => {
  const dir = goodFolder(t);
  // float64 snapshots are accepted and stored as float32.
  npy(join(dir, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f8', [N, D], Float64Array.from(unitRows(N, D, 20))));
  const { plan, written } = importRun(dir);
  assert.deepEqual(plan.snapshots.map((s) => s.iteration), [0, 10, 20]);
  assert.equal(plan.normalized, true);
  assert.equal(written.length, 4);
  assert.deepEqual(readdirSync(join(dir, 'snapshots')).sort(), ['iter-000000.arrow', 'iter-000010.arrow', 'iter-000020.arrow']);
  const s = readSnapshot(join(dir, 'snapshots', 'iter-000020.arrow'));
  assert.equal(s.runId, RUN_ID);
  assert.equal(s.iteration, 20);
  assert.deepEqual([...s.sampleIds], [5, 1, 9, 3]);
  assert.deepEqual([...s.labels], [0, 1, 0, 1]);
  assert.deepEqual([...s.embeddings], [...unitRows(N, D, 20)]);
});

test('rows that are not unit vectors import with normalized=false', (t) => {
  const dir = goodFolder(t);
  npy(join(dir, 'raw', 'snapshots', 'iter-000010.npy'), encodeNpy('<f4', [N, D], unitRows(N, D, 10).map((v) => v * 2)));
  const { plan } = importRun(dir);
  assert.equal(plan.normalized, false);
  assert.equal(plan.offNormRows, N);
  assert.ok(Math.abs(plan.worstNormError - 1) < 1e-6);
  assert.equal(readSnapshot(join(dir, 'snapshots', 'iter-000000.arrow')).normalized, false);
});

/** Each defect, made to a good folder, and the message it must give. */
const DEFECTS: [string, (dir: string) => void, (dir: string) => string][] = [
  ['no raw/ folder', (d) => rmSync(join(d, 'raw'), { recursive: true }), (d) => M.notAPythonRun(d, 'raw')],
  ['no run.json', (d) => rmSync(join(d, 'run.json')), (d) => M.missingFile(join(d, 'run.json'), 'the run record')],
  ['no metrics.csv', (d) => rmSync(join(d, 'metrics.csv')), (d) => M.missingFile(join(d, 'metrics.csv'), 'the metrics table')],
  ['no probe labels', (d) => rmSync(join(d, 'raw', 'probe-labels.npy')), (d) => M.missingFile(join(d, 'raw', 'probe-labels.npy'), 'the probe set')],
  ['metrics.csv without a column', (d) => writeFileSync(join(d, 'metrics.csv'), METRICS_COLUMNS.filter((c) => c !== 'loss').join(',') + '\n'),
    (d) => M.badCsvHeader(join(d, 'metrics.csv'), ['loss'])],
  ['probe ids and labels of different lengths', (d) => npy(join(d, 'raw', 'probe-labels.npy'), encodeNpy('<i4', [3], new Int32Array(3))),
    (d) => M.probeLengthMismatch(join(d, 'raw', 'probe-sample-ids.npy'), N, join(d, 'raw', 'probe-labels.npy'), 3)],
  ['a repeated probe id', (d) => npy(join(d, 'raw', 'probe-sample-ids.npy'), encodeNpy('<i4', [N], new Int32Array([5, 1, 5, 3]))),
    (d) => M.probeIdRepeats(join(d, 'raw', 'probe-sample-ids.npy'), 5)],
  ['a probe id beyond int32', (d) => npy(join(d, 'raw', 'probe-sample-ids.npy'), encodeNpy('<i8', [N], new BigInt64Array([1n, 2n, 2n ** 31n, 3n]))),
    (d) => M.notInt32(join(d, 'raw', 'probe-sample-ids.npy'), 2 ** 31)],
  ['float probe labels', (d) => npy(join(d, 'raw', 'probe-labels.npy'), encodeNpy('<f4', [N], new Float32Array(N))),
    (d) => M.npyWrongKind(join(d, 'raw', 'probe-labels.npy'), '<f4', 'int32 or int64 (<i4, <i8)')],
  ['integer embeddings', (d) => npy(join(d, 'raw', 'snapshots', 'iter-000010.npy'), encodeNpy('<i4', [N, D], new Int32Array(N * D))),
    (d) => M.npyWrongKind(join(d, 'raw', 'snapshots', 'iter-000010.npy'), '<i4', 'float32 or float64 (<f4, <f8)')],
  ['a 1-D snapshot', (d) => npy(join(d, 'raw', 'snapshots', 'iter-000010.npy'), encodeNpy('<f4', [N * D], unitRows(N, D, 1))),
    (d) => M.npyBadShape(join(d, 'raw', 'snapshots', 'iter-000010.npy'), [N * D], 'two dimensions [n, d] with d >= 1')],
  ['a snapshot with a row too few', (d) => npy(join(d, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f4', [N - 1, D], unitRows(N - 1, D, 2))),
    (d) => M.snapshotRows(join(d, 'raw', 'snapshots', 'iter-000020.npy'), N - 1, join(d, 'raw', 'probe-sample-ids.npy'), N)],
  ['a snapshot of another width', (d) => npy(join(d, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f4', [N, D + 1], unitRows(N, D + 1, 2))),
    (d) => M.snapshotWidth(join(d, 'raw', 'snapshots', 'iter-000020.npy'), D + 1, join(d, 'raw', 'snapshots', 'iter-000000.npy'), D)],
  ['a NaN in the last snapshot', (d) => {
    const e = unitRows(N, D, 2);
    e[2 * D + 1] = NaN;
    npy(join(d, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f4', [N, D], e));
  }, (d) => M.nonFinite(join(d, 'raw', 'snapshots', 'iter-000020.npy'), 2)],
  ['a badly named snapshot', (d) => npy(join(d, 'raw', 'snapshots', 'final.npy'), encodeNpy('<f4', [N, D], unitRows(N, D, 2))),
    (d) => M.badSnapshotName(join(d, 'raw', 'snapshots', 'final.npy'))],
  ['one iteration twice', (d) => npy(join(d, 'raw', 'snapshots', 'iter-10.npy'), encodeNpy('<f4', [N, D], unitRows(N, D, 2))),
    (d) => M.duplicateIteration(join(d, 'raw', 'snapshots', 'iter-10.npy'), join(d, 'raw', 'snapshots', 'iter-000010.npy'), 10)],
  ['no snapshots', (d) => rmSync(join(d, 'raw', 'snapshots'), { recursive: true }), (d) => M.noSnapshots(join(d, 'raw', 'snapshots'))],
  ['config.json of another width', (d) => writeFileSync(join(d, 'config.json'), JSON.stringify({ model: { dim: 7 } })),
    (d) => M.configWidth(join(d, 'config.json'), 7, join(d, 'raw', 'snapshots', 'iter-000000.npy'), D)],
  ['a truncated snapshot', (d) => npy(join(d, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f4', [N, D], unitRows(N, D, 2)).subarray(0, 140)),
    (d) => M.npyTruncated(join(d, 'raw', 'snapshots', 'iter-000020.npy'), 12, N * D * 4)],
];

for (const [what, damage, message] of DEFECTS) {
  test(`import refuses ${what} with one line and writes nothing`, (t) => {
    const dir = goodFolder(t);
    damage(dir);
    assert.throws(() => importRun(dir), (e: Error) => {
      assert.equal(e.name, 'UserError');
      assert.equal(e.message, message(dir));
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assertNothingWritten(dir);
  });
}

test('a run.json missing a field is named by the run-record reader', (t) => {
  const dir = goodFolder(t);
  const r = record();
  delete r.batchSize;
  writeFileSync(join(dir, 'run.json'), JSON.stringify(r));
  assert.throws(() => planImport(dir), (e: Error) => e.name === 'UserError' && e.message.includes('run.json') && e.message.includes('batchSize'));
  assertNothingWritten(dir);
});

test('the CLI: exit 0 with the files listed; a defect is exit 2 and one xbm-drift: line, no stack', async (t) => {
  const dir = goodFolder(t);
  const ok = await runCli(['import', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^imported 3 snapshot\(s\), iterations 0\.\.20, probe 4 x 3$/m);
  assert.match(ok.stdout, new RegExp(`^wrote ${join(dir, 'snapshots', 'iter-000020.arrow').replace(/[.\\/]/g, '\\$&')}$`, 'm'));
  assert.match(ok.stdout, /^next: xbm-drift drift /m);

  const bad = goodFolder(t);
  npy(join(bad, 'raw', 'snapshots', 'iter-000010.npy'), encodeNpy('<f4', [2, 2], new Float32Array(4), { fortranOrder: true }));
  const r = await runCli(['import', bad]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `xbm-drift: ${M.npyFortranOrder(join(bad, 'raw', 'snapshots', 'iter-000010.npy'))}\n`);
  assertNothingWritten(bad);

  const missing = await runCli(['import', join(bad, 'nope')]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `xbm-drift: ${M.folderNotFound(join(bad, 'nope'))}\n`);
});

test('importing again rewrites the snapshots; an Arrow snapshot whose numpy file is gone is reported and left', (t) => {
  const dir = goodFolder(t);
  importRun(dir);
  rmSync(join(dir, 'raw', 'snapshots', 'iter-000010.npy'));
  npy(join(dir, 'raw', 'snapshots', 'iter-000020.npy'), encodeNpy('<f4', [N, D], unitRows(N, D, 99)));
  const { plan } = importRun(dir);
  assert.deepEqual(plan.staleArrow, [join(dir, 'snapshots', 'iter-000010.arrow')]);
  assert.deepEqual([...readSnapshot(join(dir, 'snapshots', 'iter-000020.arrow')).embeddings], [...unitRows(N, D, 99)]);
  assert.ok(existsSync(join(dir, 'snapshots', 'iter-000010.arrow')));
  assert.match(M.staleArrow(plan.staleArrow), /1 snapshot file\(s\) have no numpy source/);
});

test('import --report runs drift, warmup and report; a warmup that cannot decide is skipped with its reason', async (t) => {
  const dir = goodFolder(t);
  // A baseline without a memory whose training-split size is unknown: warmup has no M to work with.
  const r = record();
  r.xbm = { ...(r.xbm as object), size: 0, start: null, requested: { kind: 'off' }, span: 0 };
  (r.dataset as { trainSize: number }).trainSize = 0;
  writeFileSync(join(dir, 'run.json'), JSON.stringify(r));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'hand-made', batchSize: 4, iterations: 20, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 0, start: { kind: 'off' } } }));
  const res = await runCli(['import', dir, '--report']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, new RegExp(`^xbm-drift drift ${dir}$[\\s\\S]*^xbm-drift warmup ${dir}$[\\s\\S]*^xbm-drift report ${dir}$`, 'm'));
  assert.ok(existsSync(join(dir, 'analysis', 'drift.csv')));
  assert.equal(existsSync(join(dir, 'analysis', 'warmup.json')), false);
  assert.match(res.stderr, /--memory-size/, 'warmup says which flag it needs');
  assert.ok(res.stderr.includes(M.warmupSkipped(dir)));
  assert.ok(existsSync(join(dir, 'report', 'index.html')));
});
