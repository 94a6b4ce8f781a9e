import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MatError, readMat5 } from '../../src/data/mat5.js';
import { writeMat5 } from './mat5-writer.js';

const annotations = {
  kind: 'struct' as const,
  fields: ['relative_im_path', 'bbox_x1', 'class', 'test'],
  elements: [
    { relative_im_path: { kind: 'char' as const, text: 'car_ims/000001.jpg' }, bbox_x1: { kind: 'double' as const, data: [112] }, class: { kind: 'double' as const, data: [1], storeAs: 'uint8' as const }, test: { kind: 'uint8' as const, data: [0] } },
    { relative_im_path: { kind: 'char' as const, text: 'car_ims/000002.jpg' }, bbox_x1: { kind: 'double' as const, data: [48.5] }, class: { kind: 'double' as const, data: [196], storeAs: 'uint8' as const }, test: { kind: 'uint8' as const, data: [1] } },
  ],
};

for (const compress of [true, false]) {
  test(`MAT v5: struct array, char, numeric stored as a smaller type, cell (${compress ? 'compressed' : 'plain'})`, () => {
    const vars = readMat5(writeMat5({ annotations, class_names: { kind: 'cell', cells: [{ kind: 'char', text: 'AM General Hummer SUV 2000' }, { kind: 'char', text: 'smart fortwo' }] } }, compress));
    const a = vars.get('annotations')!;
    assert.equal(a.kind, 'struct');
    if (a.kind !== 'struct') return;
    assert.deepEqual(a.dims, [1, 2]);
    assert.deepEqual(a.fieldNames, ['relative_im_path', 'bbox_x1', 'class', 'test']);
    assert.deepEqual(a.elements.map((e) => e.relative_im_path), [
      { kind: 'char', dims: [1, 18], text: 'car_ims/000001.jpg' }, { kind: 'char', dims: [1, 18], text: 'car_ims/000002.jpg' },
    ]);
    assert.deepEqual(a.elements.map((e) => (e.class as { data: number[] }).data[0]), [1, 196]);
    assert.deepEqual(a.elements.map((e) => (e.bbox_x1 as { data: number[] }).data[0]), [112, 48.5]);
    assert.deepEqual(a.elements.map((e) => (e.test as { data: number[] }).data[0]), [0, 1]);
    const names = vars.get('class_names')!;
    assert.equal(names.kind === 'cell' && names.cells.map((c) => (c.kind === 'char' ? c.text : '')).join('|'), 'AM General Hummer SUV 2000|smart fortwo');
  });
}

test('MAT v5: truncated, v7.3 and non-MAT bytes are MatErrors, not crashes', () => {
  const good = writeMat5({ annotations }, false);
  assert.throws(() => readMat5(good.subarray(0, good.length - 20)), MatError);
  assert.throws(() => readMat5(Buffer.from('hello')), MatError);
  const v73 = Buffer.alloc(200, 0x20);
  v73.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00', 0, 'latin1');
  assert.throws(() => readMat5(v73), /v7\.3/);
  const corrupt = writeMat5({ annotations }, true);
  corrupt.fill(0xff, 140, 160);
  assert.throws(() => readMat5(corrupt), MatError);
});

test('MAT v5: reads a cars_annos-like file written by scipy.io.savemat (compressed)', () => {
  const file = new URL('./fixtures/scipy-cars-annos.mat', import.meta.url);
  const a = readMat5(readFileSync(file)).get('annotations')!;
  assert.equal(a.kind, 'struct');
  if (a.kind !== 'struct') return;
  assert.deepEqual(a.elements.map((e) => (e.relative_im_path as { text: string }).text), ['car_ims/000001.jpg', 'car_ims/000002.jpg', 'car_ims/000003.jpg']);
  assert.deepEqual(a.elements.map((e) => (e.class as { data: number[] }).data[0]), [1, 91, 181]);
});
