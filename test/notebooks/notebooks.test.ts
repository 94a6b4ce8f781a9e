import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingTooling, listNotebooks, runNotebooks, PROJECT_ROOT } from '../../scripts/notebooks.js';
import { resolveTrainConfig, type TrainFlags } from '../../src/config/train-config.js';
import { train } from '../../src/train/trainer.js';
import { SnapshotReader } from '../../src/io/snapshot-reader.js';
import { computeDrift } from '../../src/analysis/drift.js';
import { writeDriftOutputs } from '../../src/analysis/drift-output.js';

// Jupyter and tslab are system and dev tools: a developer without them gets a skip that says so;
// CI, which installs them (.ci/run), must fail instead of passing silently.
const missing = missingTooling();
const toolingMessage = `notebook tooling missing: ${missing.join('; ')}`;
const skip = missing.length > 0 && !process.env.CI ? `${toolingMessage} (CI fails here instead of skipping)` : false;
const requireTooling = () => assert.equal(missing.length, 0, toolingMessage);

const dir = mkdtempSync(join(tmpdir(), 'xbm-drift-notebooks-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'notebooks.ts'), ...args], { cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * A baseline and an XBM run of 12 iterations of a tiny MLP, with drift.csv, made once. The
 * kernelspec and the API declarations are prepared meanwhile in a child process, on the other core.
 */
let fixture: Promise<{ baseline: string; xbm: string }> | undefined;
function runs(): Promise<{ baseline: string; xbm: string }> {
  fixture ??= (async () => {
    const installing = runScript(['install']);
    const flags: Omit<TrainFlags, 'out'> = {
      dataset: 'mnist2', imagesPerClass: 8, backend: 'cpu', model: 'mlp', hidden: '32', dim: 8, classesPerBatch: 4, perClass: 2,
      probeSize: 24, snapshotEvery: 4, snapshotOffsets: '1', evalEvery: 4, iterations: 12,
    };
    const baseline = join(dir, 'runs', 'baseline');
    const xbm = join(dir, 'runs', 'xbm');
    await train(resolveTrainConfig({ ...flags, out: baseline }), { quiet: true });
    await train(resolveTrainConfig({ ...flags, xbmSize: 20, xbmStart: '4', out: xbm }), { quiet: true });
    // Gap 3 is the memory span S = ceil(20 / 8), which the warm-up policies read.
    for (const run of [baseline, xbm]) await writeDriftOutputs(run, computeDrift(SnapshotReader.open(run), [1, 3, 4, 8]));
    const install = await installing;
    assert.equal(install.code, 0, `scripts/notebooks.ts install failed:\n${install.stdout}${install.stderr}`);
    return { baseline, xbm };
  })();
  return fixture;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('committed notebooks carry no outputs and name the tslab kernel', () => {
  const notebooks = listNotebooks();
  assert.deepEqual(notebooks.map((f) => f.slice(f.lastIndexOf('/') + 1)), ['01-drift-curves.ipynb', '02-warmup.ipynb', '03-paper-figures.ipynb']);
  for (const file of notebooks) {
    const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: { cell_type: string; outputs?: unknown[]; execution_count?: unknown }[]; metadata: { kernelspec?: { name?: string } } };
    assert.equal(nb.metadata.kernelspec?.name, 'tslab', file);
    for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
      assert.deepEqual(cell.outputs, [], `${file}: a cell has outputs (node --import tsx scripts/notebooks.ts clear)`);
      assert.equal(cell.execution_count, null, `${file}: a cell has an execution count`);
    }
  }
});

test('every notebook runs without error against a small run, into copies', { skip, timeout: 600_000 }, async () => {
  requireTooling();
  const { baseline, xbm } = await runs();
  const before = listNotebooks().map(sha);
  const out = join(dir, 'executed');
  const figures = join(dir, 'figures');
  const results = await runNotebooks({ run: baseline, xbmRun: xbm, out, timeout: 180, env: { XBM_DRIFT_FIGURES_OUT: figures } });
  for (const r of results) assert.ok(r.ok, `${r.notebook} failed:\n${r.failure}`);
  assert.equal(results.length, 3);
  // The committed files are only read; the outputs are in the copies.
  assert.deepEqual(listNotebooks().map(sha), before);
  const outputs = (name: string) =>
    (JSON.parse(readFileSync(join(out, name), 'utf8')) as { cells: { outputs?: { output_type: string; text?: string | string[]; data?: Record<string, string | string[]> }[] }[] }).cells
      .flatMap((c) => c.outputs ?? [])
      .map((o) => [o.text ?? '', ...Object.values(o.data ?? {})].flat().join(''))
      .join('\n');
  const drift = outputs('01-drift-curves.ipynb');
  assert.match(drift, /7 snapshots, iterations 0 to 12/);
  assert.match(drift, /Δt = 3/);
  assert.match(drift, /<svg/);
  const warmup = outputs('02-warmup.ipynb');
  assert.match(warmup, /M = 20, B = 8: a full memory spans S = ceil\(M \/ B\) = 3 iterations/);
  assert.match(warmup, /<td>fixed:4<\/td><td>4<\/td>/);
  assert.match(warmup, /largest memory within the threshold/);
  assert.match(outputs('03-paper-figures.ipynb'), /figures: drift, /);
  const svgs = readdirSync(figures).sort();
  assert.ok(svgs.includes('drift.svg') && svgs.includes('losses.svg') && svgs.includes('losses-custom.svg'), svgs.join(', '));
  assert.match(readFileSync(join(figures, 'losses-custom.svg'), 'utf8'), /Batch and memory loss \(log scale\)/);
});

test('a type error against the API, or a cell that throws, fails the run with the cell named', { skip, timeout: 600_000 }, async () => {
  requireTooling();
  await runs(); // kernelspec and declarations
  const notebook = (name: string, source: string) => {
    const file = join(dir, name);
    const cell = { cell_type: 'code', execution_count: null, id: 'c1', metadata: {}, outputs: [], source };
    writeFileSync(file, JSON.stringify({ cells: [cell], metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } }, nbformat: 4, nbformat_minor: 5 }));
    return file;
  };
  // Wrong on the API's own types: passes only if cells are checked against the real declarations.
  const typeError = notebook('type-error.ipynb', "import type { XbmDrift } from './load-api.js';\nconst gaps: Parameters<XbmDrift['computeDrift']>[1] = 'every gap';");
  const throws = notebook('throws.ipynb', "throw new Error('boom from a cell');");
  const r = await runScript(['run', '--out', join(dir, 'failed'), typeError, throws]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED type-error\.ipynb[^]*cell 0[^]*not assignable to type 'readonly number\[\]'/);
  assert.match(r.stdout, /FAILED throws\.ipynb[^]*boom from a cell/);
  assert.match(r.stdout, /0\/2 notebooks ran without error/);
  assert.ok(existsSync(join(dir, 'failed', 'type-error.ipynb')), 'the executed copy is written even on failure');
});
