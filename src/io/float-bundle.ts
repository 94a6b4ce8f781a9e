import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A set of named float32 arrays as two files: <name>.bin (little-endian float32, concatenated) and
 * <name>.json (a manifest of names, shapes and offsets). Readable without TensorFlow.js, e.g.
 * numpy.fromfile(path, '<f4') sliced by the manifest.
 */
export interface FloatEntry { name: string; shape: number[]; values: Float32Array }

export function writeFloatBundle(dir: string, name: string, entries: FloatEntry[]): void {
  let offset = 0;
  const manifest = entries.map((e) => {
    const m = { name: e.name, shape: e.shape, offset, length: e.values.length };
    offset += e.values.length;
    return m;
  });
  const all = new Float32Array(offset);
  manifest.forEach((m, i) => all.set(entries[i].values, m.offset));
  writeFileSync(join(dir, `${name}.bin`), new Uint8Array(all.buffer));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ format: 'xbm-drift-float32-v1', entries: manifest }, null, 1));
}

export function readFloatBundle(dir: string, name: string): FloatEntry[] {
  const manifest = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
    entries: { name: string; shape: number[]; offset: number; length: number }[];
  };
  const bytes = readFileSync(join(dir, `${name}.bin`));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return manifest.entries.map((m) => ({ name: m.name, shape: m.shape, values: all.slice(m.offset, m.offset + m.length) }));
}
