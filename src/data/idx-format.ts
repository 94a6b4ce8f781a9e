import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';

/** An unsigned-byte IDX array: dims as stored, data row-major. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UBYTE = 0x08;
const gunzipAsync = promisify(gunzip);

/**
 * Parse an IDX file (the format of MNIST, Fashion-MNIST, KMNIST, EMNIST): two zero bytes, a type
 * byte, the number of dimensions, then each dimension as a big-endian uint32 and the data.
 * Only unsigned bytes are read, which is what every image dataset in this format uses.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const bad = (detail: string) => new UserError(dataMessages.idxCorrupt(file, detail));
  if (bytes.length < 4) throw bad(`${bytes.length} bytes, shorter than the 4-byte header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw bad('the magic number does not start with two zero bytes');
  if (bytes[2] !== UBYTE) throw bad(`data type 0x${hex(bytes[2])} is not unsigned byte 0x08`);
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) throw bad(`${ndims} dimensions, expected 1 to 4`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw bad(`${bytes.length} bytes, shorter than its ${header}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (bytes.length - header !== count) {
    throw bad(`the header promises ${dims.join('x')} = ${count} bytes of data, the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Read and parse an IDX file, gunzipping it if it is gzip data (whatever its name says). */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw new UserError(dataMessages.idxCorrupt(path, `broken gzip data: ${(e as Error).message}`));
    }
  }
  return parseIdx(bytes, path);
}

/** Images of an IDX images file as [n, h, w, c]: 3-D files are grey, 4-D files carry channels. */
export function imageDims(arr: IdxArray, file: string): { n: number; h: number; w: number; c: number } {
  const d = arr.dims;
  if (d.length === 3) return { n: d[0], h: d[1], w: d[2], c: 1 };
  if (d.length === 4) {
    if (d[3] !== 1 && d[3] !== 3) throw new UserError(dataMessages.idxChannels(file, d[3]));
    return { n: d[0], h: d[1], w: d[2], c: d[3] };
  }
  throw new UserError(dataMessages.idxCorrupt(file, `${d.length} dimensions, an images file has 3 (grey) or 4 (colour)`));
}

/** Labels of an IDX labels file; checks it is 1-D and as long as the images file. */
export function labelVector(arr: IdxArray, file: string, imagesFile: string, images: number): Uint8Array {
  if (arr.dims.length !== 1) {
    throw new UserError(dataMessages.idxCorrupt(file, `${arr.dims.length} dimensions, a labels file has 1`));
  }
  if (arr.data.length !== images) {
    throw new UserError(dataMessages.idxCountMismatch(imagesFile, images, file, arr.data.length));
  }
  return arr.data;
}

/** Encode an unsigned-byte IDX file (for tests and for writing derived datasets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const hex = (b: number) => b.toString(16).padStart(2, '0');
