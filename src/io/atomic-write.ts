import { mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Write a whole file under a temporary name, then rename it into place: a reader never sees a
 * half-written file, and an interrupted write leaves the previous version intact.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const made = mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    // A full disk or a vanished folder: leave the previous version and no half-written temporary,
    // nor the folders made for it (only while empty: another writer's file keeps its folder).
    rmSync(tmp, { force: true });
    removeFoldersMade(made, dirname(path));
    throw e;
  }
}

/**
 * Undoes `made = mkdirSync(deepest, { recursive: true })` after a failed write: removes `deepest`
 * and its parents up to `made`, the first folder that call created, each only while it is empty.
 */
export function removeFoldersMade(made: string | undefined, deepest: string): void {
  for (let dir = resolve(deepest); made && dir.startsWith(made); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty: someone else's file keeps it
    }
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, jsonReplacer, 2) + '\n');
}

/** JSON has no NaN/Infinity: write them as null rather than failing or lying. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
