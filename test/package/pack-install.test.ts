/**
 * The package as a dependency (docs/library-api.md): `npm pack`, install the tarball into an empty
 * project, and use it there as a user would: the API imported from plain Node (no tsx), a
 * TypeScript consumer type-checked against the shipped .d.ts, and the installed CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyTrain } from '../helpers/cli.js';
import { relativeLinks } from '../docs/doc-links.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment without the npm_* variables of an enclosing `npm test`, which would point npm at this project. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { status: number | null; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${err.status}:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

// A contrastive loss (margin 0.5, sum over terms / queries) on three unit vectors, worked by hand:
// a=(1,0), b=(0.6,0.8) of class 0 and c=(0.8,0.6) of class 1, the batch against itself.
// Positive pairs ab, ba: 1 - 0.6 = 0.4 each. Negative pairs ac, ca: 0.8 - 0.5; bc, cb: 0.96 - 0.5.
const EXPECTED_LOSS = (2 * 0.4 + 2 * 0.3 + 2 * 0.46) / 3;

const ESM_CONSUMER = `
import { tf, createLoss, linearCka, computeDrift, UserError } from 'xbm-drift';
const q = tf.tensor2d([[1, 0], [0.6, 0.8], [0.8, 0.6]]);
const labels = tf.tensor1d([0, 0, 1], 'int32');
const { loss } = createLoss({ kind: 'contrastive', margin: 0.5 }).compute(q, labels, q, labels, Int32Array.from([0, 1, 2]));
const x = Float32Array.from([1, 0, 0, 1, 1, 1]);
let refused = '';
try { computeDrift({ iterations: () => [] }, [-1]); } catch (e) { refused = e instanceof UserError ? 'UserError' : String(e); }
console.log(JSON.stringify({ loss: (await loss.data())[0], cka: linearCka(x, x, 3, 2), refused }));
`;

const TS_CONSUMER = `
import { createLoss, linearCka, type LossConfig, type DriftRow } from 'xbm-drift';
const config: LossConfig = { kind: 'contrastive', margin: 0.5 };
const name: string = createLoss(config).name;
const cka: number = linearCka(new Float32Array(4), new Float32Array(4), 2, 2);
// The declarations are real types, not any: a loss that does not exist must not type-check.
// @ts-expect-error
createLoss({ kind: 'no-such-loss', margin: 0.5 });
// @ts-expect-error
const row: DriftRow = { iteration: 'ten' };
export { name, cka, row };
`;

test('the packed tarball installs into an empty project: plain-Node ESM import, TypeScript types, the CLI', { timeout: 480_000 }, (t) => {
  const work = mkdtempSync(join(tmpdir(), 'xbm-drift-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // npm pack runs "prepare", which builds dist/ as a publish would.
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[];
  const shipped = packed.files.map((f) => f.path);
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/xbm-drift.js', 'data/backbones/digits/model.json', 'data/backbones/digits/weights.bin', 'python/xbm_drift_log.py', 'package.json', 'README.md']) {
    assert.ok(shipped.includes(needed), `${needed} is in the tarball`);
  }
  const extra = shipped.filter((p) => /^(src|test|scripts|notebooks|runs|reports|\.ci|node_modules|data\/cache)\//.test(p) || /^tsconfig/.test(p));
  assert.deepEqual(extra, [], 'the tarball holds only what a user needs');
  // The README a user reads in node_modules (and on the registry's page) links docs/, the changelog and its figure: all shipped.
  const dangling = relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    .map((l) => l.target.split('#')[0])
    .filter((target) => target.length > 0 && !shipped.includes(target));
  assert.deepEqual(dangling, [], "every file the README links is in the tarball");

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Dependencies come from the npm cache that `npm ci` filled. No install scripts: the package needs
  // none, and the optional native ones (tfjs-node-gpu, hnswlib-node) fall back when absent.
  run('npm', ['install', join(work, packed.filename), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], consumer);
  assert.ok(!existsSync(join(consumer, 'node_modules', 'tsx')), 'tsx is not installed for a user: nothing at run time needs it');

  // Plain Node, ESM: the real API, on inputs whose answers are known.
  const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', ESM_CONSUMER], consumer)) as { loss: number; cka: number; refused: string };
  assert.ok(Math.abs(out.loss - EXPECTED_LOSS) < 1e-5, `contrastive loss ${out.loss}, by hand ${EXPECTED_LOSS}`);
  assert.ok(Math.abs(out.cka - 1) < 1e-9, `CKA of a matrix with itself is 1, got ${out.cka}`);
  assert.equal(out.refused, 'UserError');

  // A TypeScript consumer type-checks against the shipped declarations (this project's compiler).
  // skipLibCheck as this project's own tsconfig: tfjs-layers' declarations fail strict checking by
  // themselves; the @ts-expect-error lines fail if ours resolved to \`any\`.
  writeFileSync(join(consumer, 'consumer.ts'), TS_CONSUMER);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
      lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files: ['consumer.ts'],
  }));
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);

  // The installed CLI, from dist/ without tsx.
  const cli = join(consumer, 'node_modules', '.bin', 'xbm-drift');
  assert.equal(run(cli, ['--version'], consumer).trim(), VERSION);
  assert.match(run(cli, ['--help'], consumer), /xbm-drift train/);
  run(cli, ['train', ...tinyTrain({ '--iters': '4' }), '--out', join(work, 'run')], consumer);
  const record = JSON.parse(readFileSync(join(work, 'run', 'run.json'), 'utf8')) as { status: string; versions: { xbmDrift: string } };
  assert.equal(record.status, 'completed');
  assert.equal(record.versions.xbmDrift, VERSION);
});
