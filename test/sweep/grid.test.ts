import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { reportMessages } from '../../src/messages/report.js';
import { expandGrid, parseGrid } from '../../src/sweep/grid.js';
import { flagName, pointArgs, stripFlags } from '../../src/sweep/point-args.js';

test('parseGrid keeps key order and values; expandGrid is the cartesian product, first key slowest', () => {
  const grid = parseGrid(['batch=16,32', 'xbm=off,on', 'lr=1e-3']);
  assert.deepEqual(grid, [
    { key: 'batch', values: ['16', '32'] },
    { key: 'xbm', values: ['off', 'on'] },
    { key: 'lr', values: ['1e-3'] },
  ]);
  const points = expandGrid(grid);
  assert.deepEqual(
    points.map((p) => p.name),
    ['batch-16_xbm-off_lr-1e-3', 'batch-16_xbm-on_lr-1e-3', 'batch-32_xbm-off_lr-1e-3', 'batch-32_xbm-on_lr-1e-3'],
  );
  assert.deepEqual(points[1].values, { batch: '16', xbm: 'on', lr: '1e-3' });
});

test('parseGrid rejects malformed, empty and repeated keys with the defined messages', () => {
  assert.throws(() => parseGrid([]), new UserError(reportMessages.noGrid));
  assert.throws(() => parseGrid(['batch']), new UserError(reportMessages.badGrid('batch')));
  assert.throws(() => parseGrid(['batch=16,,32']), new UserError(reportMessages.badGrid('batch=16,,32')));
  assert.throws(() => parseGrid(['batch=16', 'batch=32']), new UserError(reportMessages.duplicateGridKey('batch')));
});

test('point names are safe folder names', () => {
  const [p] = expandGrid(parseGrid(['loss=multi similarity/2']));
  assert.equal(p.name, 'loss-multi-similarity-2');
});

test('flagName normalises camelCase, = values and the --iters alias', () => {
  assert.equal(flagName('--batchSize'), 'batch-size');
  assert.equal(flagName('--xbm-start=auto'), 'xbm-start');
  assert.equal(flagName('--iters'), 'iterations');
  assert.equal(flagName('16'), null);
  assert.equal(flagName('-1'), null);
});

test('stripFlags removes a flag with its value in both spellings and keeps the rest', () => {
  const names = new Set(['batch-size', 'iterations']);
  assert.deepEqual(stripFlags(['--lr', '0.01', '--batch-size', '8', '--iters=50', '--quiet', '--seed', '-1'], names), ['--lr', '0.01', '--quiet', '--seed', '-1']);
  assert.deepEqual(stripFlags(['--batchSize', '8', '--quiet'], names), ['--quiet']);
});

test('pointArgs maps grid keys to train flags; grid values win over forwarded flags', () => {
  const args = pointArgs(
    { batch: '32', xbm: 'off', memory: '2000', lr: '0.01' },
    { trainFlags: ['--batch-size', '8', '--xbm-start', 'auto', '--seed', '3'], iterations: 100, runDir: 'sw/p', overwrite: false },
  );
  assert.deepEqual(args, ['--seed', '3', '--batch-size', '32', '--xbm-start', 'off', '--xbm-size', '2000', '--lr', '0.01', '--iterations', '100', '--out', 'sw/p']);
});

test('xbm=on keeps the forwarded start; another xbm value becomes --xbm-start', () => {
  const on = pointArgs({ xbm: 'on' }, { trainFlags: ['--xbm-start', 'auto'], runDir: 'o', overwrite: false });
  assert.deepEqual(on, ['--xbm-start', 'auto', '--out', 'o']);
  const at = pointArgs({ xbm: '500' }, { trainFlags: ['--xbm-start', 'auto'], runDir: 'o', overwrite: false });
  assert.deepEqual(at, ['--xbm-start', '500', '--out', 'o']);
});

test('pointArgs: --iters in the forwarded flags gives way to the sweep --iters; --overwrite once; --out is reserved', () => {
  assert.deepEqual(pointArgs({}, { trainFlags: ['--iters', '5'], iterations: 10, runDir: 'o', overwrite: true }), ['--iterations', '10', '--overwrite', '--out', 'o']);
  assert.deepEqual(pointArgs({}, { trainFlags: ['--overwrite'], runDir: 'o', overwrite: true }), ['--overwrite', '--out', 'o']);
  assert.throws(() => pointArgs({}, { trainFlags: ['--out', 'x'], runDir: 'o', overwrite: false }), new UserError(reportMessages.reservedTrainFlag('--out')));
});
