/**
 * What the first cell of every notebook needs: the package's public API (src/index.ts) and the
 * run folders to read.
 *
 * tslab compiles cells, and this file, to CommonJS, where import() becomes require(); require()
 * cannot load this package (ESM TypeScript, and vega has top-level await). So the API comes
 * through a real dynamic import, made by a vm script with Node's default loader and tsx's loader
 * for the .ts sources. Its types come from the declarations `scripts/notebooks.ts install` emits:
 * tslab's own TypeScript 5.0 cannot check src/ itself. Type errors in cells still fail them.
 */
import type * as Api from '../.jupyter/types/index.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script, constants } from 'node:vm';

export type XbmDrift = typeof Api;
// The API's types (DriftRow, WarmupDecision, ...) for cells: import type { DriftRow } from './load-api.js'.
export type * from '../.jupyter/types/index.js';

/** The project root. Cells run in notebooks/, as Jupyter and scripts/notebooks.ts start them. */
export const projectRoot = resolve('..');

const dynamicImport = new Script('(specifier) => import(specifier)', {
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
}).runInThisContext() as (specifier: string) => Promise<unknown>;

let api: Promise<XbmDrift> | undefined;

/** The public API, loaded once per kernel (a second tsx import would give a second module graph). */
export function loadApi(): Promise<XbmDrift> {
  api ??= (async () => {
    const { tsImport } = (await dynamicImport('tsx/esm/api')) as { tsImport: (specifier: string, parentURL: string) => Promise<unknown> };
    return (await tsImport('./src/index.ts', pathToFileURL(`${projectRoot}/`).href)) as XbmDrift;
  })();
  return api;
}

/** A run folder named by an environment variable (relative paths from the project root), else `fallback`. */
export function runDir(variable: string, fallback: string): string {
  return resolve(projectRoot, process.env[variable] || fallback);
}
