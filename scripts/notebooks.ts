/**
 * The TypeScript notebooks in notebooks/, run with the tslab Jupyter kernel, all of it kept inside
 * the project (.jupyter/ is gitignored; nothing goes to the user's home):
 *
 *   node --import tsx scripts/notebooks.ts install
 *       the tslab kernelspec in .jupyter/share/jupyter/kernels/tslab, and the API declarations
 *       the cells take their types from (.jupyter/types; re-emitted when src/ is newer)
 *   node --import tsx scripts/notebooks.ts run [--run <dir>] [--xbm-run <dir>] [--out <dir>]
 *       [--timeout <s per cell>] [--jobs <n>] [notebook.ipynb ...]
 *       execute every notebook (or those named) headless into copies in --out (default: a new
 *       temporary folder), installing first what is missing; the committed files are only read.
 *       Exit 1 if any cell fails, a type error included.
 *   node --import tsx scripts/notebooks.ts clear [notebook.ipynb ...]
 *       remove outputs and execution counts, before committing a notebook saved from Jupyter
 *
 * Interactive use: JUPYTER_PATH=$PWD/.jupyter/share/jupyter jupyter lab (or notebook), kernel
 * "TypeScript (xbm-drift)". The notebooks read XBM_DRIFT_RUN and XBM_DRIFT_RUN_XBM (run folders,
 * relative to the project root; defaults runs/demo/baseline and runs/demo/xbm, from `npm run demo`).
 *
 * Why declarations: tslab type-checks every TypeScript file a cell imports with its own
 * TypeScript 5.0 and fixed options (node10 resolution, no DOM lib), under which src/ does not
 * check (vega-lite's types resolve only through package exports). Declarations emitted by the
 * project's compiler are not checked again by tslab, so the cells stay typed against the real API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Debian's python, which python3-nbclient and jupyter-client install into (a pyenv shim may not have them). */
export const DEFAULT_PYTHON = '/usr/bin/python3';
export const KERNEL_NAME = 'tslab';
export const RUN_ENV = 'XBM_DRIFT_RUN';
export const XBM_RUN_ENV = 'XBM_DRIFT_RUN_XBM';
export const APT_PACKAGES = 'jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client';

export interface NotebookPaths {
  root: string;
  notebooks: string;
  /** what JUPYTER_PATH must name for Jupyter to find the kernel */
  jupyterPath: string;
  kernelJson: string;
  types: string;
}

export function notebookPaths(root = PROJECT_ROOT): NotebookPaths {
  const jupyterPath = join(root, '.jupyter', 'share', 'jupyter');
  return {
    root,
    notebooks: join(root, 'notebooks'),
    jupyterPath,
    kernelJson: join(jupyterPath, 'kernels', KERNEL_NAME, 'kernel.json'),
    types: join(root, '.jupyter', 'types'),
  };
}

/** The tslab package folder, from the project's node_modules (it is a devDependency), or null. */
export function findTslab(root = PROJECT_ROOT): string | null {
  try {
    return dirname(realpathSync(createRequire(join(root, 'package.json')).resolve('tslab/package.json')));
  } catch {
    return null;
  }
}

/**
 * What is missing to run notebooks, as one message per problem (empty: ready). The kernelspec and
 * declarations are not checked: `run` makes them.
 */
export function missingTooling(python = DEFAULT_PYTHON, root = PROJECT_ROOT): string[] {
  const problems: string[] = [];
  const py = spawnSync(python, ['-c', 'import nbformat, nbclient, jupyter_client, IPython'], { encoding: 'utf8' });
  if (py.error || py.status !== 0) {
    problems.push(
      `${python} cannot import nbclient, jupyter_client and IPython (${(py.error?.message ?? py.stderr.trim().split('\n').pop()) || 'failed'}): ` +
        `apt-get install -y --no-install-recommends ${APT_PACKAGES}`,
    );
  }
  if (findTslab(root) === null) problems.push(`tslab is not in ${join(root, 'node_modules')}: it is a devDependency, run npm install (or npm ci)`);
  return problems;
}

/** Install the tslab kernelspec into <root>/.jupyter with absolute node and tslab paths. */
export function installKernel(opts: { root?: string; python?: string; log?: (s: string) => void } = {}): string {
  const root = opts.root ?? PROJECT_ROOT;
  const python = opts.python ?? DEFAULT_PYTHON;
  const log = opts.log ?? (() => {});
  const tslab = findTslab(root);
  if (tslab === null) throw new Error(missingTooling(python, root).join('\n'));
  const bin = join(tslab, 'bin', 'tslab');
  const paths = notebookPaths(root);
  const r = spawnSync(process.execPath, [bin, 'install', `--python=${python}`, `--prefix=${join(root, '.jupyter')}`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`tslab install failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}\n${missingTooling(python, root).join('\n')}`);
  }
  const spec = JSON.parse(readFileSync(paths.kernelJson, 'utf8')) as Record<string, unknown>;
  spec.argv = kernelArgv(tslab);
  spec.display_name = 'TypeScript (xbm-drift)';
  writeFileSync(paths.kernelJson, `${JSON.stringify(spec, null, 2)}\n`);
  log(`kernelspec: ${paths.kernelJson}`);
  return paths.kernelJson;
}

/**
 * The kernel's command line. tslab writes ["tslab", ...], found on PATH when Jupyter starts the
 * kernel; ours is in node_modules/.bin, not on PATH outside npm scripts: absolute paths always
 * work. load-api.ts uses vm's USE_MAIN_CONTEXT_DEFAULT_LOADER on purpose; its experimental-feature
 * warning would land in the first cell of every notebook.
 */
export function kernelArgv(tslab: string): string[] {
  return [process.execPath, '--disable-warning=ExperimentalWarning', join(tslab, 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'];
}

/** True when the kernelspec exists and starts this node and the project's tslab. */
export function kernelInstalled(root = PROJECT_ROOT): boolean {
  const { kernelJson } = notebookPaths(root);
  const tslab = findTslab(root);
  if (tslab === null || !existsSync(kernelJson)) return false;
  try {
    const argv = (JSON.parse(readFileSync(kernelJson, 'utf8')) as { argv?: unknown }).argv;
    return JSON.stringify(argv) === JSON.stringify(kernelArgv(tslab));
  } catch {
    return false;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Emit declarations of src/index.ts into .jupyter/types with the project's compiler, unless they
 * are newer than every file of src/ and tsconfig.json. Source type errors are left to
 * `npm run typecheck`: declarations are still emitted, and the stamp is not written, so the next
 * run tries again.
 */
export function emitApiTypes(opts: { root?: string; log?: (s: string) => void } = {}): string {
  const root = opts.root ?? PROJECT_ROOT;
  const log = opts.log ?? (() => {});
  const { types } = notebookPaths(root);
  const stamp = join(types, '.stamp');
  const newest = Math.max(newestMtime(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest) return types;
  mkdirSync(types, { recursive: true });
  const tsconfig = join(root, '.jupyter', 'tsconfig.types.json');
  writeFileSync(
    tsconfig,
    `${JSON.stringify(
      {
        extends: '../tsconfig.json',
        files: ['../src/index.ts'],
        include: [],
        compilerOptions: {
          noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: '../src', outDir: './types',
          // The build info lives with the output: deleting the folder cannot leave it claiming fresh output.
          incremental: true, tsBuildInfoFile: './types/.tsbuildinfo',
        },
      },
      null,
      2,
    )}\n`,
  );
  log('emitting API declarations for the notebooks (.jupyter/types)');
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const started = new Date();
  const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, encoding: 'utf8' });
  if (!existsSync(join(types, 'index.d.ts'))) throw new Error(`tsc emitted no declarations:\n${r.stdout}${r.stderr}`);
  if (r.status === 0) {
    // Dated when tsc started: a source saved while it ran makes the next run emit again.
    writeFileSync(stamp, `${started.toISOString()}\n`);
    utimesSync(stamp, started, started);
  } else {
    log(`warning: src has type errors (npm run typecheck); declarations emitted anyway:\n${r.stdout.trim().split('\n').slice(0, 20).join('\n')}`);
  }
  return types;
}

// Executes one notebook with nbclient (the library behind `jupyter nbconvert --execute`), writes the
// executed copy, and reports the failing cell with its outputs: tslab's error reply is empty, the
// diagnostics are in the cell's stderr stream, which nbconvert's message leaves out.
const EXECUTE_PY = String.raw`
import json, sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
src, out, cwd, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
nb = nbformat.read(src, as_version=4)
current = {'index': None}
def started(cell, cell_index, **kw):
    current['index'] = cell_index
client = NotebookClient(nb, kernel_name='tslab', timeout=timeout, resources={'metadata': {'path': cwd}}, on_cell_start=started)
result = {'ok': True}
try:
    client.execute()
except Exception as e:
    i = current['index']
    cell = nb.cells[i] if i is not None else None
    messages = []
    for o in (cell.get('outputs', []) if cell is not None else []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stderr':
            messages.append(o.get('text', ''))
        elif o.get('output_type') == 'error':
            messages.append('%s: %s' % (o.get('ename', ''), o.get('evalue', '')))
    result = {'ok': False, 'cell': i, 'source': cell.source if cell is not None else None,
              'messages': messages,
              # tslab's error reply is empty ('<Error>:'); other failures (timeout, dead kernel) say what happened
              'error': None if isinstance(e, CellExecutionError) else '%s: %s' % (type(e).__name__, str(e).strip())}
nbformat.write(nb, out)
print(json.dumps(result))
sys.exit(0 if result['ok'] else 1)
`;

export interface NotebookResult {
  notebook: string;
  /** the executed copy */
  output: string;
  ok: boolean;
  seconds: number;
  /** the failure, formatted for a terminal */
  failure?: string;
}

export interface RunOptions {
  root?: string;
  python?: string;
  /** notebook files; default every notebooks/*.ipynb */
  notebooks?: string[];
  /** run folders for XBM_DRIFT_RUN and XBM_DRIFT_RUN_XBM; default: the environment's, else the notebooks' defaults */
  run?: string;
  xbmRun?: string;
  /** folder for the executed copies; default a new temporary folder */
  out?: string;
  /** seconds per cell */
  timeout?: number;
  /** notebooks executed at once (each has its own kernel); default 2 */
  jobs?: number;
  /** more environment for the kernels (e.g. XBM_DRIFT_FIGURES_OUT) */
  env?: Record<string, string>;
  log?: (s: string) => void;
}

export function listNotebooks(root = PROJECT_ROOT): string[] {
  const dir = notebookPaths(root).notebooks;
  return readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(dir, f));
}

/** Install the kernelspec when missing or stale, and emit the declarations when older than src/. */
export function prepare(opts: { root?: string; python?: string; log?: (s: string) => void } = {}): void {
  const root = opts.root ?? PROJECT_ROOT;
  const python = opts.python ?? DEFAULT_PYTHON;
  const missing = missingTooling(python, root);
  if (missing.length > 0) throw new Error(missing.join('\n'));
  if (!kernelInstalled(root)) installKernel({ root, python, log: opts.log });
  emitApiTypes({ root, log: opts.log });
}

function execute(python: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((done) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (error) => done({ code: null, stdout, stderr, error }));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * Execute notebooks headless, each into a copy in `out`, `jobs` at a time. Cells run in
 * notebooks/ whatever the notebook's own folder, as when opened from there in Jupyter. Prepares
 * the kernelspec and declarations first when needed. Results in the order of the notebooks.
 */
export async function runNotebooks(opts: RunOptions = {}): Promise<NotebookResult[]> {
  const root = opts.root ?? PROJECT_ROOT;
  const python = opts.python ?? DEFAULT_PYTHON;
  const log = opts.log ?? (() => {});
  prepare({ root, python, log });
  const paths = notebookPaths(root);
  const out = resolve(opts.out ?? mkdtempSync(join(tmpdir(), 'xbm-drift-notebooks-')));
  mkdirSync(out, { recursive: true });
  const runtime = mkdtempSync(join(tmpdir(), 'xbm-drift-jupyter-runtime-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: paths.jupyterPath,
    // connection files: kept out of the user's home like everything else
    JUPYTER_RUNTIME_DIR: runtime,
    ...(opts.run !== undefined ? { [RUN_ENV]: resolve(opts.run) } : {}),
    ...(opts.xbmRun !== undefined ? { [XBM_RUN_ENV]: resolve(opts.xbmRun) } : {}),
    ...opts.env,
  };
  const notebooks = (opts.notebooks ?? listNotebooks(root)).map((f) => resolve(f));
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async () => {
    while (next < notebooks.length) {
      const i = next++;
      const nb = notebooks[i];
      // Distinct names even when two notebooks share a file name.
      const output = join(out, notebooks.filter((n) => basename(n) === basename(nb)).length > 1 ? `${i}-${basename(nb)}` : basename(nb));
      const t0 = performance.now();
      const r = await execute(python, ['-c', EXECUTE_PY, nb, output, paths.notebooks, String(opts.timeout ?? 300)], env);
      const seconds = (performance.now() - t0) / 1000;
      const result: NotebookResult = { notebook: nb, output, ok: r.code === 0, seconds };
      if (!result.ok) result.failure = describeFailure(r.stdout, r.stderr, r.error);
      log(result.ok ? `ok     ${basename(nb)} (${seconds.toFixed(1)} s) -> ${output}` : `FAILED ${basename(nb)} (${seconds.toFixed(1)} s)\n${result.failure}`);
      results[i] = result;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs ?? 2, notebooks.length)) }, worker));
  } finally {
    rmSync(runtime, { recursive: true, force: true });
  }
  return results;
}

function describeFailure(stdout: string, stderr: string, error?: Error): string {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    const r = JSON.parse(last) as { cell: number | null; source: string | null; messages: string[]; error: string | null };
    const lines = [`  cell ${r.cell ?? '?'} failed${r.error ? `: ${r.error}` : ''}`];
    if (r.source !== null) lines.push(...r.source.split('\n').map((l) => `  | ${l}`));
    for (const m of r.messages) lines.push(...m.trimEnd().split('\n').map((l) => `  ${l}`));
    return lines.join('\n');
  } catch {
    // No report: python or the kernel failed before any cell ran.
    return `  ${error?.message ?? ''}${stderr.trim().split('\n').slice(-15).join('\n  ')}`;
  }
}

/** Remove outputs and execution counts in place; returns the files changed. */
export function clearNotebooks(files: string[]): string[] {
  const changed: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const nb = JSON.parse(text) as { cells: { cell_type: string; outputs?: unknown[]; execution_count?: unknown; metadata?: Record<string, unknown> }[] };
    for (const cell of nb.cells) {
      if (cell.cell_type !== 'code') continue;
      cell.outputs = [];
      cell.execution_count = null;
      if (cell.metadata) delete cell.metadata.execution;
    }
    const cleared = `${JSON.stringify(nb, null, 1)}\n`;
    if (cleared !== text) {
      writeFileSync(file, cleared);
      changed.push(file);
    }
  }
  return changed;
}

function parseArgs(args: string[]): { flags: Record<string, string>; files: string[] } {
  const flags: Record<string, string> = {};
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < args.length) flags[a.slice(2)] = args[++i];
      else throw new Error(`${a} needs a value`);
    } else files.push(a);
  }
  return { flags, files };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (s: string) => process.stdout.write(`${s}\n`);
  try {
    const { flags, files } = parseArgs(rest);
    const known = new Set(['run', 'xbm-run', 'out', 'timeout', 'jobs', 'python']);
    for (const k of Object.keys(flags)) if (!known.has(k)) throw new Error(`unknown flag --${k}`);
    const python = flags.python ?? DEFAULT_PYTHON;
    const positive = (name: string) => {
      if (flags[name] === undefined) return undefined;
      const x = Number(flags[name]);
      if (!(x > 0)) throw new Error(`--${name} must be a positive number, got ${flags[name]}`);
      return x;
    };
    if (command === 'install') {
      const missing = missingTooling(python);
      if (missing.length > 0) throw new Error(missing.join('\n'));
      installKernel({ python, log });
      emitApiTypes({ log });
      log(`done: JUPYTER_PATH=${notebookPaths().jupyterPath} jupyter lab`);
      return 0;
    }
    if (command === 'run') {
      const results = await runNotebooks({
        python, log, run: flags.run, xbmRun: flags['xbm-run'], out: flags.out, timeout: positive('timeout'), jobs: positive('jobs'),
        notebooks: files.length > 0 ? files : undefined,
      });
      const failed = results.filter((r) => !r.ok).length;
      log(`${results.length - failed}/${results.length} notebooks ran without error`);
      return failed === 0 ? 0 : 1;
    }
    if (command === 'clear') {
      for (const f of clearNotebooks(files.length > 0 ? files : listNotebooks())) log(`cleared ${f}`);
      return 0;
    }
    process.stderr.write(
      'usage: scripts/notebooks.ts install | run [--run <dir>] [--xbm-run <dir>] [--out <dir>] [--timeout <s>] [--jobs <n>] [nb.ipynb ...] | clear [nb.ipynb ...]\n',
    );
    return 2;
  } catch (e) {
    process.stderr.write(`notebooks: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
