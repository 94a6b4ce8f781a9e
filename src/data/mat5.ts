import { inflateSync } from 'node:zlib';

/**
 * A minimal reader of MATLAB level-5 MAT-files (the format of Stanford Cars' cars_annos.mat):
 * numeric, logical, char, cell and struct arrays, compressed (miCOMPRESSED) or not, either byte
 * order. Sparse arrays, objects and v7.3 (HDF5) files are refused. Arrays are column-major, as
 * MATLAB stores them. Errors are MatError with a short detail; callers turn them into messages
 * that name the file.
 */
export type MatValue =
  | { kind: 'numeric'; dims: number[]; data: number[] }
  | { kind: 'char'; dims: number[]; text: string }
  | { kind: 'cell'; dims: number[]; cells: MatValue[] }
  | { kind: 'struct'; dims: number[]; fieldNames: string[]; elements: Record<string, MatValue>[] }
  | { kind: 'empty' };

export class MatError extends Error {}

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 };
const MX = { CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5 };
const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

interface Element {
  type: number;
  data: Buffer;
}

/** Top-level variables of a MAT v5 file, by name. */
export function readMat5(bytes: Buffer): Map<string, MatValue> {
  if (bytes.length < 128) throw new MatError('shorter than the 128-byte header');
  if (bytes.subarray(0, 19).toString('latin1').startsWith('MATLAB 7.3')) throw new MatError('a v7.3 (HDF5) file');
  const endian = bytes.subarray(126, 128).toString('latin1');
  if (endian !== 'IM' && endian !== 'MI') throw new MatError('no MATLAB v5 byte-order mark');
  const le = endian === 'IM';
  const out = new Map<string, MatValue>();
  for (const el of elements(bytes, 128, bytes.length, le)) {
    const top = el.type === MI.COMPRESSED ? onlyElement(inflate(el.data), le) : el;
    if (top.type !== MI.MATRIX) continue;
    const { name, value } = parseMatrix(top.data, le);
    out.set(name, value);
  }
  return out;
}

function inflate(data: Buffer): Buffer {
  try {
    return inflateSync(data);
  } catch (e) {
    throw new MatError(`a compressed element does not inflate: ${(e as Error).message}`);
  }
}

function onlyElement(buf: Buffer, le: boolean): Element {
  const els = elements(buf, 0, buf.length, le);
  if (els.length === 0) throw new MatError('an empty compressed element');
  return els[0];
}

function u32(buf: Buffer, at: number, le: boolean): number {
  return le ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}

/** The data elements of buf[start, end): tag + data, 8-byte aligned; small elements packed in 8 bytes. */
function elements(buf: Buffer, start: number, end: number, le: boolean): Element[] {
  const out: Element[] = [];
  let at = start;
  while (at + 8 <= end) {
    const first = u32(buf, at, le);
    let type: number, n: number, dataAt: number, next: number;
    if (first >>> 16 !== 0) {
      type = first & 0xffff;
      n = first >>> 16;
      if (n > 4) throw new MatError(`a small data element of ${n} bytes at byte ${at}`);
      dataAt = at + 4;
      next = at + 8;
    } else {
      type = first;
      n = u32(buf, at + 4, le);
      dataAt = at + 8;
      next = dataAt + (type === MI.COMPRESSED ? n : Math.ceil(n / 8) * 8);
    }
    if (dataAt + n > end) throw new MatError(`an element of ${n} bytes at byte ${at} runs past the end (truncated file?)`);
    out.push({ type, data: buf.subarray(dataAt, dataAt + n) });
    at = next;
  }
  return out;
}

function numbers(el: Element, le: boolean): number[] {
  const size = SIZE[el.type];
  if (!size) throw new MatError(`numeric data of unknown type ${el.type}`);
  const n = el.data.length / size;
  const d = el.data;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (el.type) {
      case MI.INT8: out[i] = d.readInt8(o); break;
      case MI.UINT8: case MI.UTF8: out[i] = d.readUInt8(o); break;
      case MI.INT16: out[i] = le ? d.readInt16LE(o) : d.readInt16BE(o); break;
      case MI.UINT16: case MI.UTF16: out[i] = le ? d.readUInt16LE(o) : d.readUInt16BE(o); break;
      case MI.INT32: out[i] = le ? d.readInt32LE(o) : d.readInt32BE(o); break;
      case MI.UINT32: case MI.UTF32: out[i] = le ? d.readUInt32LE(o) : d.readUInt32BE(o); break;
      case MI.SINGLE: out[i] = le ? d.readFloatLE(o) : d.readFloatBE(o); break;
      case MI.DOUBLE: out[i] = le ? d.readDoubleLE(o) : d.readDoubleBE(o); break;
      case MI.INT64: out[i] = Number(le ? d.readBigInt64LE(o) : d.readBigInt64BE(o)); break;
      case MI.UINT64: out[i] = Number(le ? d.readBigUInt64LE(o) : d.readBigUInt64BE(o)); break;
    }
  }
  return out;
}

function parseMatrix(data: Buffer, le: boolean): { name: string; value: MatValue } {
  if (data.length === 0) return { name: '', value: { kind: 'empty' } };
  const els = elements(data, 0, data.length, le);
  if (els.length < 3) throw new MatError('an array without flags, dimensions and name');
  const [flags, dimsEl, nameEl] = els;
  const cls = numbers(flags, le)[0] & 0xff;
  const dims = numbers(dimsEl, le);
  const name = nameEl.data.toString('latin1');
  const count = dims.reduce((a, b) => a * b, 1);
  const rest = els.slice(3);
  switch (cls) {
    case MX.CELL: {
      const cells = rest.slice(0, count).map((e) => parseMatrix(e.data, le).value);
      return { name, value: { kind: 'cell', dims, cells } };
    }
    case MX.STRUCT: {
      if (rest.length < 2) throw new MatError(`struct ${name} without field names`);
      const len = numbers(rest[0], le)[0];
      const raw = rest[1].data;
      const fieldNames: string[] = [];
      for (let at = 0; at + len <= raw.length && len > 0; at += len) {
        fieldNames.push(raw.subarray(at, at + len).toString('latin1').replace(/\0.*$/s, ''));
      }
      const values = rest.slice(2);
      if (values.length < count * fieldNames.length) throw new MatError(`struct ${name} has fewer values than ${count} x ${fieldNames.length} fields`);
      const elementsOut: Record<string, MatValue>[] = [];
      for (let i = 0; i < count; i++) {
        const rec: Record<string, MatValue> = {};
        fieldNames.forEach((f, j) => (rec[f] = parseMatrix(values[i * fieldNames.length + j].data, le).value));
        elementsOut.push(rec);
      }
      return { name, value: { kind: 'struct', dims, fieldNames, elements: elementsOut } };
    }
    case MX.CHAR: {
      const el = rest[0];
      let text = '';
      if (el) text = el.type === MI.UTF8 ? el.data.toString('utf8') : String.fromCodePoint(...numbers(el, le));
      return { name, value: { kind: 'char', dims, text } };
    }
    case MX.OBJECT:
    case MX.SPARSE:
      throw new MatError(`${name} is a ${cls === MX.OBJECT ? 'MATLAB object' : 'sparse array'}`);
    default: {
      if (cls < 6 || cls > 15) throw new MatError(`${name} has unknown array class ${cls}`);
      return { name, value: { kind: 'numeric', dims, data: rest[0] ? numbers(rest[0], le) : [] } };
    }
  }
}

/** The single number of a scalar numeric value (undefined otherwise). */
export function matScalar(v: MatValue | undefined): number | undefined {
  return v?.kind === 'numeric' && v.data.length === 1 ? v.data[0] : undefined;
}

/** The text of a 1 x N char value (undefined otherwise). */
export function matString(v: MatValue | undefined): string | undefined {
  return v?.kind === 'char' ? v.text : undefined;
}
