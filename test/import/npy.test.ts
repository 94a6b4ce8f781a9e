import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpy, parseNpy, readNpy } from '../../src/import/npy.js';
import { importMessages as M } from '../../src/messages/import.js';
import { tempDir } from '../helpers/tmp.js';
import { python, pythonLacks } from './python.js';

const P = 'x.npy';
const expectError = (buf: Uint8Array, message: string) => assert.throws(() => parseNpy(buf, P), (e: Error) => e.name === 'UserError' && e.message === message);

/** The bytes numpy.save writes for np.array([1.5, -2.0], dtype='<f4'), spelt out by hand. */
function handBuiltFloat32(): Uint8Array {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const header = dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n'; // data starts at byte 128, a multiple of 64
  const bytes = [0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8, ...Buffer.from(header, 'latin1')];
  const data = Buffer.alloc(8);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2.0, 4);
  return Uint8Array.from([...bytes, ...data]);
}

test('a hand-built float32 .npy parses to its shape and values', () => {
  const buf = handBuiltFloat32();
  assert.equal(buf.length, 136);
  const a = parseNpy(buf, P);
  assert.equal(a.dtype, '<f4');
  assert.deepEqual(a.shape, [2]);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual([...a.data], [1.5, -2]);
  // encodeNpy writes the same bytes (it is what the other tests build their files with).
  assert.deepEqual(encodeNpy('<f4', [2], new Float32Array([1.5, -2])), buf);
});

test('float32, float64, int32 and int64 matrices round-trip with their shapes', () => {
  const f32 = parseNpy(encodeNpy('<f4', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6.5])), P);
  assert.deepEqual(f32.shape, [2, 3]);
  assert.deepEqual([...f32.data], [1, 2, 3, 4, 5, 6.5]);
  const f64 = parseNpy(encodeNpy('<f8', [3, 1], new Float64Array([0.1, -1e300, Math.PI])), P);
  assert.ok(f64.data instanceof Float64Array);
  assert.deepEqual([...f64.data], [0.1, -1e300, Math.PI]);
  const i32 = parseNpy(encodeNpy('<i4', [3], new Int32Array([-5, 0, 2 ** 31 - 1])), P);
  assert.deepEqual([...i32.data], [-5, 0, 2 ** 31 - 1]);
  const i64 = parseNpy(encodeNpy('<i8', [2, 2], new BigInt64Array([-1n, 0n, 2n ** 40n, 7n])), P);
  assert.ok(i64.data instanceof BigInt64Array);
  assert.deepEqual([...i64.data], [-1n, 0n, 2n ** 40n, 7n]);
  assert.deepEqual(parseNpy(encodeNpy('<f4', [0, 4], new Float32Array(0)), P).shape, [0, 4]);
});

test('a file at an odd offset in its buffer is copied, not viewed misaligned', () => {
  const file = encodeNpy('<f8', [2], new Float64Array([1.25, -3]));
  const padded = new Uint8Array(file.length + 1);
  padded.set(file, 1);
  assert.deepEqual([...parseNpy(padded.subarray(1), P).data], [1.25, -3]);
});

test('version 2 headers (uint32 length) are read', () => {
  const v1 = encodeNpy('<i4', [2], new Int32Array([4, 5]));
  const headerLen = v1[8] | (v1[9] << 8);
  const v2 = new Uint8Array(v1.length + 2);
  v2.set(v1.subarray(0, 8), 0);
  v2[6] = 2;
  new DataView(v2.buffer).setUint32(8, headerLen, true);
  v2.set(v1.subarray(10), 12);
  assert.deepEqual([...parseNpy(v2, P).data], [4, 5]);
});

test('a bad magic, a short file and a bad version are refused by name', () => {
  const good = encodeNpy('<f4', [1], new Float32Array([1]));
  const bad = good.slice();
  bad[1] = 0x4f; // \x93OUMPY
  expectError(bad, M.npyBadMagic(P));
  expectError(Buffer.from('PK\x03\x04 a zip, not npy'), M.npyBadMagic(P));
  expectError(good.subarray(0, 6), M.npyTooShort(P, 6));
  const v9 = good.slice();
  v9[6] = 9;
  expectError(v9, M.npyBadVersion(P, 9));
});

test('Fortran order is refused with the fix', () => {
  expectError(encodeNpy('<f4', [2, 2], new Float32Array(4), { fortranOrder: true }), M.npyFortranOrder(P));
  assert.match(M.npyFortranOrder(P), /ascontiguousarray/);
});

test('dtypes other than little-endian float32/64 and int32/64 are refused, naming the dtype', () => {
  for (const descr of ['>f4', '<f2', '|u1', '<u8', '<c8', '|b1', '<U3', '|O']) {
    expectError(encodeNpy(descr, [0], new Uint8Array(0)), M.npyBadDtype(P, descr));
  }
  assert.match(M.npyBadDtype(P, '>f4'), />f4.*float32 or float64/);
  const structured = new TextEncoder().encode("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n");
  const file = encodeNpy('<f4', [1], new Float32Array(1));
  const s = new Uint8Array(10 + structured.length + 4);
  s.set(file.subarray(0, 8));
  new DataView(s.buffer).setUint16(8, structured.length, true);
  s.set(structured, 10);
  expectError(s, M.npyBadDtype(P, 'a structured (record) dtype'));
});

test('truncated data, a header past the end and a garbled header are refused', () => {
  const good = encodeNpy('<f4', [4, 2], new Float32Array(8));
  expectError(good.subarray(0, good.length - 4), M.npyTruncated(P, 28, 32));
  const long = good.slice();
  long[8] = 0xff;
  long[9] = 0x7f;
  expectError(long, M.npyBadHeader(P, 'header of 32767 bytes runs past the end of the file'));
  const garbled = new TextEncoder().encode("{'descr': '<f4', 'fortran_order': False, 'shape': (n, 2), }\n");
  const g = new Uint8Array(10 + garbled.length);
  g.set(good.subarray(0, 8));
  new DataView(g.buffer).setUint16(8, garbled.length, true);
  g.set(garbled, 10);
  expectError(g, M.npyBadHeader(P, 'shape (n, 2) is not a tuple of sizes'));
});

test('files numpy itself writes parse to the same values (when numpy is installed)', (t) => {
  const why = pythonLacks(['numpy']);
  if (why !== null) {
    if (process.env.CI) assert.fail(`CI is set, so this test may not be skipped: ${why}`);
    t.skip(why);
    return;
  }
  const dir = tempDir(t);
  python(['-c', `
import numpy as np, os
d = ${JSON.stringify(dir)}
np.save(os.path.join(d, 'f4.npy'), np.arange(6, dtype='<f4').reshape(2, 3) / 4)
np.save(os.path.join(d, 'f8.npy'), np.array([[0.1], [-2.5]], dtype='<f8'))
np.save(os.path.join(d, 'i8.npy'), np.array([-3, 2**40], dtype='<i8'))
np.save(os.path.join(d, 'i4.npy'), np.array([7], dtype='<i4'))
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(np.ones((2, 3), dtype='<f4')))
np.save(os.path.join(d, 'big.npy'), np.ones(2, dtype='>f4'))
np.save(os.path.join(d, 'scalar.npy'), np.float32(2.0))
`]);
  const f4 = readNpy(join(dir, 'f4.npy'));
  assert.deepEqual(f4.shape, [2, 3]);
  assert.deepEqual([...f4.data], [0, 0.25, 0.5, 0.75, 1, 1.25]);
  assert.deepEqual([...readNpy(join(dir, 'f8.npy')).data], [0.1, -2.5]);
  assert.deepEqual([...readNpy(join(dir, 'i8.npy')).data], [-3n, 2n ** 40n]);
  assert.deepEqual([...readNpy(join(dir, 'i4.npy')).data], [7]);
  assert.deepEqual(readNpy(join(dir, 'scalar.npy')).shape, []);
  assert.throws(() => readNpy(join(dir, 'fortran.npy')), { message: M.npyFortranOrder(join(dir, 'fortran.npy')) });
  assert.throws(() => readNpy(join(dir, 'big.npy')), { message: M.npyBadDtype(join(dir, 'big.npy'), '>f4') });
  writeFileSync(join(dir, 'pickle.npy'), Buffer.from([0x80, 0x04, 0x95]));
  assert.throws(() => readNpy(join(dir, 'pickle.npy')), { message: M.npyTooShort(join(dir, 'pickle.npy'), 3) });
});
