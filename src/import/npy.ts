import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { importMessages as M } from '../messages/import.js';

/**
 * The .npy format (numpy.lib.format), read without numpy: the magic \x93NUMPY, a version byte pair,
 * a header length (uint16 in version 1, uint32 in 2 and 3), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), } and the C-ordered data.
 * Only what xbm_drift_log.py writes is read: little-endian float32/float64 and int32/int64, C order.
 * Every error names the file and says how to write it again.
 */
export const NPY_DTYPES = {
  '<f4': { kind: 'float', bytes: 4 },
  '<f8': { kind: 'float', bytes: 8 },
  '<i4': { kind: 'int', bytes: 4 },
  '<i8': { kind: 'int', bytes: 8 },
} as const;
export type NpyDtype = keyof typeof NPY_DTYPES;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The data in C order; a copy when the file's bytes are not aligned for a view. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a whole .npy file held in `buf`; `path` names it in errors. */
export function parseNpy(buf: Uint8Array, path: string): NpyArray {
  if (buf.length < 10) throw new UserError(M.npyTooShort(path, buf.length));
  for (let i = 0; i < MAGIC.length; i++) if (buf[i] !== MAGIC[i]) throw new UserError(M.npyBadMagic(path));
  const major = buf[6];
  if (major < 1 || major > 3) throw new UserError(M.npyBadVersion(path, major));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw new UserError(M.npyTooShort(path, buf.length));
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > buf.length) throw new UserError(M.npyBadHeader(path, `header of ${headerLen} bytes runs past the end of the file`));
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(8 + lenBytes, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header, path);
  if (fortranOrder) throw new UserError(M.npyFortranOrder(path));
  if (!(descr in NPY_DTYPES)) throw new UserError(M.npyBadDtype(path, descr));
  const dtype = descr as NpyDtype;
  const itemBytes = NPY_DTYPES[dtype].bytes;
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * itemBytes;
  const available = buf.length - dataStart;
  if (available !== expected) throw new UserError(M.npyTruncated(path, available, expected));
  return { dtype, shape, data: typedView(buf, dataStart, count, dtype) };
}

/** Read and parse a .npy file. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}

function parseHeader(header: string, path: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const text = header.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) throw new UserError(M.npyBadHeader(path, 'not a dict literal'));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  if (!descr) {
    // A structured dtype is a list of fields: name it as what it is.
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw new UserError(M.npyBadDtype(path, 'a structured (record) dtype'));
    throw new UserError(M.npyBadHeader(path, 'no descr'));
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw new UserError(M.npyBadHeader(path, 'no fortran_order'));
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw new UserError(M.npyBadHeader(path, 'no shape'));
  const parts = shapeMatch[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.some((p) => !/^\d+L?$/.test(p))) throw new UserError(M.npyBadHeader(path, `shape (${shapeMatch[1]}) is not a tuple of sizes`));
  // '|u1' style descriptors of one byte carry no byte order; '>' (big-endian) and '=' are refused by name.
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: parts.map((p) => Number.parseInt(p, 10)) };
}

function typedView(buf: Uint8Array, start: number, count: number, dtype: NpyDtype): NpyArray['data'] {
  const bytes = NPY_DTYPES[dtype].bytes;
  const offset = buf.byteOffset + start;
  // A view needs the element alignment; otherwise copy the bytes into a fresh, aligned buffer.
  const src = offset % bytes === 0 ? buf : new Uint8Array(buf.subarray(start, start + count * bytes));
  const at = offset % bytes === 0 ? offset : 0;
  const ab = src.buffer;
  switch (dtype) {
    case '<f4': return new Float32Array(ab, at, count);
    case '<f8': return new Float64Array(ab, at, count);
    case '<i4': return new Int32Array(ab, at, count);
    case '<i8': return new BigInt64Array(ab, at, count);
  }
}

/** Build a .npy file (version 1) in memory: for tests and tools that write what readNpy reads. */
export function encodeNpy(descr: string, shape: readonly number[], data: ArrayBufferView, opts: { fortranOrder?: boolean } = {}): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // numpy pads with spaces and ends with a newline so that the data starts at a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
