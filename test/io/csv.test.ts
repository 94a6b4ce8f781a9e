import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CsvAppender, readCsv, writeCsv } from '../../src/io/csv.js';
import { tempDir } from '../helpers/tmp.js';

test('csv round trip keeps numbers, NaN, strings and column order', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'a.csv');
  const rows = [
    { iteration: 0, loss: 0.125, drift: NaN, event: '' },
    { iteration: 1, loss: 1e-7, drift: 3, event: 'xbm-start' },
  ];
  await writeCsv(path, ['iteration', 'loss', 'drift', 'event'], rows);
  assert.equal(readFileSync(path, 'utf8').split('\n')[0], 'iteration,loss,drift,event');
  const back = await readCsv<typeof rows[number]>(path);
  assert.equal(back.length, 2);
  assert.equal(back[1].loss, 1e-7);
  assert.ok(Number.isNaN(back[0].drift));
  assert.equal(back[1].event, 'xbm-start');
  assert.equal(back[0].event, '');
});

test('appender writes the header once and appends rows', async (t) => {
  const path = join(tempDir(t), 'm.csv');
  const app = new CsvAppender(path, ['i', 'x']);
  await app.append([{ i: 0, x: 1 }]);
  await app.append([{ i: 1, x: 2 }, { i: 2, x: 3 }]);
  assert.deepEqual(await readCsv(path), [{ i: 0, x: 1 }, { i: 1, x: 2 }, { i: 2, x: 3 }]);
});

test('an empty table still has its header', async (t) => {
  const path = join(tempDir(t), 'e.csv');
  await writeCsv(path, ['a', 'b'], []);
  assert.equal(readFileSync(path, 'utf8'), 'a,b\n');
});
