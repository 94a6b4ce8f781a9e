import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataType, type FixedSizeList } from 'apache-arrow';
import { importRun } from '../../src/import/import-run.js';
import { RAW_LAYOUT, rawSnapshotName } from '../../src/import/raw-layout.js';
import { META, SCHEMA_VERSION, readArrowFile } from '../../src/io/arrow-ipc.js';
import { PROBE_COLUMNS } from '../../src/io/probe-file.js';
import { SNAPSHOT_COLUMNS } from '../../src/io/snapshot-file.js';
import { EVAL_COLUMNS, METRICS_COLUMNS, STALENESS_COLUMNS } from '../../src/io/tables.js';
import { tempDir } from '../helpers/tmp.js';
import { MODULE, PYTHON_DIR, python, requirePython } from './python.js';

/**
 * The Arrow contract has one source of truth, docs/run-folder.md (README below): its "Arrow schema" table and metadata
 * list, and the run folder's table columns. The Python writer (python/xbm_drift_log.py SCHEMA and
 * RAW), the TypeScript writers (SNAPSHOT_COLUMNS, META, METRICS_COLUMNS, ...) and the files
 * `xbm-drift import` actually writes must all say the same.
 */

const README = readFileSync(fileURLToPath(new URL('../../docs/run-folder.md', import.meta.url)), 'utf8');

interface PySchema {
  SCHEMA: {
    schema_version: string;
    snapshot_columns: [string, string][];
    probe_columns: [string, string][];
    metadata: string[];
    metrics_columns: string[];
    eval_columns: string[];
    staleness_columns: string[];
  };
  RAW: { dir: string; probe_sample_ids: string; probe_labels: string; snapshots: string; snapshot_name: string };
}

/** The text of a README section, from its heading to the next heading of the same level. */
export function readmeSection(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has no section "## ${heading}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The Arrow schema table: [column, type] with the type's first word (comments in parentheses dropped). */
export function readmeArrowColumns(readme: string): [string, string][] {
  const section = readmeSection(readme, 'Arrow schema');
  const rows = [...section.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*([^|]+?)\s*\|\s*$/gm)];
  assert.ok(rows.length > 0, 'docs/run-folder.md "Arrow schema" has no table rows of the form | `column` | type |');
  return rows.map((m) => [m[1], m[2].replace(/\s*\(.*\)\s*$/, '').trim()]);
}

/** The metadata keys the "Arrow schema" section lists, and the schema version it gives. */
export function readmeMetadata(readme: string): { keys: string[]; version: string } {
  const para = /Schema metadata:([\s\S]*?)\n\n/.exec(readmeSection(readme, 'Arrow schema'));
  assert.ok(para, 'docs/run-folder.md "Arrow schema" has no "Schema metadata:" paragraph');
  const keys = [...para[1].matchAll(/`(xbm_drift\.[a-z_]+)`/g)].map((m) => m[1]);
  const version = /`xbm_drift\.schema_version`\s*\(`(\d+)`\)/.exec(para[1]);
  assert.ok(version, 'README does not give the schema version as `xbm_drift.schema_version` (`N`)');
  return { keys, version: version[1] };
}

/** "recall_at_1/2/4/8" -> recall_at_1, recall_at_2, ...; "drift_mean/median" -> drift_mean, drift_median. */
export function expandColumns(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).flatMap((item) => {
    const parts = item.split('/');
    if (parts.length === 1) return [item];
    const prefix = parts[0].slice(0, parts[0].lastIndexOf('_') + 1);
    return [parts[0], ...parts.slice(1).map((p) => prefix + p)];
  });
}

/** Column lists of the README's "Run folder" section. */
export function readmeRunFolderColumns(readme: string) {
  const section = readmeSection(readme, 'Run folder');
  const line = (file: string) => {
    const m = new RegExp(`^\\s*${file.replace('.', '\\.')}\\s+(?:with [^:]+: |the probe set: )?(.+)$`, 'm').exec(section);
    assert.ok(m, `docs/run-folder.md "Run folder" has no line for ${file}`);
    return expandColumns(m[1]);
  };
  const metrics = /metrics\.csv columns: ([\s\S]*?)\.\s/.exec(section);
  assert.ok(metrics, 'docs/run-folder.md "Run folder" has no "metrics.csv columns: ..." paragraph');
  return {
    metrics: expandColumns(metrics[1].replace(/[`\n]/g, ' ')),
    eval: line('eval.csv'),
    staleness: line('staleness.csv'),
    probe: line('probe.arrow'),
  };
}

/** An Arrow field's type as the README writes it: Int32, FixedSizeList<Float32>[d]. */
function readmeType(type: DataType, dim: number): string {
  if (DataType.isFixedSizeList(type)) {
    const list = type as FixedSizeList;
    assert.equal(list.listSize, dim, `embedding list size ${list.listSize}, expected the width ${dim}`);
    return `FixedSizeList<${String(list.children[0].type)}>[d]`;
  }
  return String(type);
}

test('the README parsers read what they should (and fail on a changed table)', () => {
  assert.deepEqual(expandColumns('iteration, recall_at_1/2, drift_mean/p90'), ['iteration', 'recall_at_1', 'recall_at_2', 'drift_mean', 'drift_p90']);
  const fake = README.replace('| `label` | Int32 |', '| `label` | Int64 |');
  assert.notDeepEqual(readmeArrowColumns(fake), readmeArrowColumns(README));
  assert.throws(() => readmeMetadata(README.replace('Schema metadata:', 'Metadata:')), /Schema metadata/);
});

test('README, the TypeScript writers and python/xbm_drift_log.py declare one contract', (t) => {
  if (!requirePython(t, ['numpy'])) return;
  const py = JSON.parse(python([MODULE, '--schema'])) as PySchema;
  const readmeColumns = readmeArrowColumns(README);
  const meta = readmeMetadata(README);
  const folder = readmeRunFolderColumns(README);

  // Arrow snapshot columns: README table = Python SCHEMA = TypeScript SNAPSHOT_COLUMNS.
  assert.deepEqual(py.SCHEMA.snapshot_columns, readmeColumns, 'Python SCHEMA snapshot_columns vs docs/run-folder.md "Arrow schema" table');
  assert.deepEqual(readmeColumns.map(([c]) => c), [...SNAPSHOT_COLUMNS], 'README table vs SNAPSHOT_COLUMNS');
  assert.deepEqual(py.SCHEMA.probe_columns.map(([c]) => c), [...PROBE_COLUMNS]);
  assert.deepEqual(folder.probe, [...PROBE_COLUMNS], 'README probe.arrow line vs PROBE_COLUMNS');
  // Metadata keys and schema version.
  assert.deepEqual(py.SCHEMA.metadata, meta.keys, 'Python SCHEMA metadata vs README');
  assert.deepEqual(Object.values(META), meta.keys, 'META vs README');
  assert.equal(py.SCHEMA.schema_version, meta.version);
  assert.equal(SCHEMA_VERSION, meta.version);
  // CSV tables.
  assert.deepEqual(py.SCHEMA.metrics_columns, folder.metrics, 'Python METRICS_COLUMNS vs README');
  assert.deepEqual([...METRICS_COLUMNS], folder.metrics, 'METRICS_COLUMNS vs README');
  assert.deepEqual(py.SCHEMA.eval_columns, folder.eval, 'Python EVAL_COLUMNS vs README');
  assert.deepEqual([...EVAL_COLUMNS], folder.eval, 'EVAL_COLUMNS vs README');
  assert.deepEqual(py.SCHEMA.staleness_columns, folder.staleness, 'Python STALENESS_COLUMNS vs README');
  assert.deepEqual([...STALENESS_COLUMNS], folder.staleness, 'STALENESS_COLUMNS vs README');
  // Where the numpy files go.
  assert.deepEqual(
    { dir: py.RAW.dir, ids: py.RAW.probe_sample_ids, labels: py.RAW.probe_labels, snapshots: py.RAW.snapshots },
    { dir: RAW_LAYOUT.dir, ids: RAW_LAYOUT.probeSampleIds, labels: RAW_LAYOUT.probeLabels, snapshots: RAW_LAYOUT.snapshots },
  );
  assert.equal(py.RAW.snapshot_name.replace('{:06d}', '000500'), rawSnapshotName(500));
});

test('the Arrow files import makes of the Python writer\'s numpy files match the README table', (t) => {
  if (!requirePython(t, ['numpy'])) return;
  const run = join(tempDir(t), 'py-run');
  python(['-c', `
import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
import numpy as np
from xbm_drift_log import RunLogger
rng = np.random.default_rng(0)
with RunLogger(${JSON.stringify(run)}, batch_size=4, iterations=2, seed=0) as log:
    log.set_probe(np.array([7, 3, 11]), np.array([0, 1, 0]))
    for it in (0, 1, 2):
        e = rng.standard_normal((3, 5)); log.log_snapshot(it, e / np.linalg.norm(e, axis=1, keepdims=True))
        if it: log.log_step(it, loss=1.0)
`]);
  importRun(run);
  const { table } = readArrowFile(join(run, 'snapshots', 'iter-000002.arrow'));
  const fields = table.schema.fields.map((f) => [f.name, readmeType(f.type, 5)]);
  assert.deepEqual(fields, readmeArrowColumns(README), 'snapshot file fields vs docs/run-folder.md "Arrow schema" table');
  const meta = readmeMetadata(README);
  assert.deepEqual([...table.schema.metadata.keys()].sort(), [...meta.keys].sort(), 'snapshot file metadata keys vs README');
  assert.equal(table.schema.metadata.get(META.schemaVersion), meta.version);
  assert.equal(table.schema.metadata.get(META.dim), '5');
  assert.equal(table.schema.metadata.get(META.normalized), 'true');
  const probe = readArrowFile(join(run, 'probe.arrow')).table;
  assert.deepEqual(probe.schema.fields.map((f) => [f.name, String(f.type)]), readmeArrowColumns(README).filter(([c]) => (PROBE_COLUMNS as readonly string[]).includes(c)));
});
