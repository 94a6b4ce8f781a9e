import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** python/ (xbm_drift_log.py) and the fixture scripts of these tests. */
export const PYTHON_DIR = fileURLToPath(new URL('../../python/', import.meta.url));
export const MODULE = fileURLToPath(new URL('../../python/xbm_drift_log.py', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * The interpreter: $XBM_DRIFT_PYTHON, else Debian's /usr/bin/python3 (where `apt-get install
 * python3-torch python3-numpy` puts torch and numpy), else python3 on the PATH.
 */
export const PYTHON = process.env.XBM_DRIFT_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const seen = new Map<string, string | null>();

/** null when the interpreter imports every module; else why not, in one line (remembered). */
export function pythonLacks(modules: readonly string[]): string | null {
  const key = modules.join(',');
  if (!seen.has(key)) {
    const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
    const why = r.error
      ? `${PYTHON} cannot be run (${r.error.message})`
      : r.status !== 0
        ? `${PYTHON} cannot import ${key} (${(r.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200)})`
        : null;
    seen.set(key, why);
  }
  return seen.get(key)!;
}

/**
 * Skip a test whose Python modules are missing, saying so once; under CI (process.env.CI set) the
 * test fails instead, so a CI machine without them cannot pass by skipping.
 */
export function requirePython(t: { skip(msg: string): void }, modules: readonly string[]): boolean {
  const why = pythonLacks(modules);
  if (why === null) return true;
  const msg = `${why}: install them with apt-get install -y --no-install-recommends python3-torch python3-numpy`;
  if (process.env.CI) throw new Error(`CI is set, so this test may not be skipped: ${msg}`);
  t.skip(msg);
  return false;
}

/** Run the interpreter; throws with its stderr when it fails. */
export function python(args: readonly string[]): string {
  // No __pycache__ next to python/xbm_drift_log.py in the working tree.
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}
