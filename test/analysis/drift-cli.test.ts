import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { driftCommand } from '../../src/cli/drift.js';
import { UserError } from '../../src/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { runPaths } from '../../src/io/run-paths.js';
import type { DriftRow } from '../../src/io/tables.js';
import { driftMessages } from '../../src/messages/drift.js';
import { ioMessages } from '../../src/messages/io.js';
import { tempDir } from '../helpers/tmp.js';
import { makeRun } from './drift-fixtures.js';
import { runCommand } from '../helpers/command.js';

/** Run the command module as main.ts would (strict, user errors thrown), capturing its lines. */
async function drift(args: string[]) {
  const { out, err } = await runCommand(driftCommand, ['drift', ...args]);
  return { out, err };
}

async function rejects(args: string[], message: string | RegExp) {
  await assert.rejects(drift(args), (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('drift with default gaps writes drift.csv and drift.arrow and prints a table and the paths', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 10, dim: 4, iterations: [0, 1, 10, 11, 20, 100, 101] });
  const { out, err } = await drift([dir]);
  const p = runPaths(dir);
  assert.deepEqual(err, []);
  assert.ok(existsSync(p.driftCsv) && existsSync(p.driftArrow));
  assert.equal(existsSync(p.driftByClassCsv), false);
  assert.equal(existsSync(p.neighbourChurnCsv), false);
  const rows = await readCsv<DriftRow>(p.driftCsv);
  assert.deepEqual([...new Set(rows.map((r) => r.gap))], [1, 10, 100]);
  assert.match(out[0], /gap\s+t values\s+first t\s+last t\s+D\(first t\)\s+D\(last t\)/);
  // gap 1: t = 1, 11, 101; gap 10: t = 10, 11, 20; gap 100: t = 100, 101
  assert.match(out[1], /^\s*1\s+3\s+1\s+101\s/);
  assert.match(out[2], /^\s*10\s+3\s+10\s+20\s/);
  assert.match(out[3], /^\s*100\s+2\s+100\s+101\s/);
  const first = rows.find((r) => r.gap === 1)!.mean;
  assert.ok(out[1].includes(first.toPrecision(4)), `${out[1]} shows ${first}`);
  assert.deepEqual(out.slice(-2), [`wrote ${p.driftCsv}`, `wrote ${p.driftArrow}`]);
});

test('--gaps, --by-class and --neighbours write their files; an unsupported gap is a warning', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 12, dim: 3, iterations: [0, 10, 20] });
  const { out, err } = await drift([dir, '--gaps', '10, 20,7', '--by-class', '--neighbours', '--neighbour-limit', '5']);
  const p = runPaths(dir);
  assert.deepEqual(err, [driftMessages.unsupportedGaps(dir, [7], [10, 20]), driftMessages.neighbourLimited(5, 12)]);
  assert.deepEqual(out.slice(-4), [p.driftCsv, p.driftArrow, p.driftByClassCsv, p.neighbourChurnCsv].map((x) => `wrote ${x}`));
  assert.match(out.find((l) => /^\s*7\s/.test(l))!, /^\s*7\s+0\s+-\s+-/);
  assert.equal(readFileSync(p.driftByClassCsv, 'utf8').split('\n')[0], 'iteration,gap,class,mean,median,p90,max,n');
  const churn = await readCsv<{ iteration: number; gap: number; n: number; metric: string }>(p.neighbourChurnCsv);
  assert.deepEqual(churn.map((r) => `${r.iteration}/${r.gap}/${r.n}/${r.metric}`), ['10/10/5/cosine', '20/10/5/cosine', '20/20/5/cosine']);
});

test('bad input gives one-line errors that name the problem', async (t) => {
  const dir = tempDir(t);
  await rejects([join(dir, 'missing')], ioMessages.runNotFound(join(dir, 'missing')));
  await rejects([dir], ioMessages.noSnapshots(runPaths(dir).snapshots));
  makeRun(dir, { n: 4, dim: 2, iterations: [0, 10] });
  await rejects([dir, '--gaps', '10,abc'], driftMessages.badGapList('10,abc'));
  await rejects([dir, '--gaps', '-5'], driftMessages.badGapList('-5'));
  await rejects([dir, '--neighbours', '--neighbour-limit', '1'], driftMessages.badNeighbourLimit(1));
  await rejects([dir, '--neighbour-metric', 'manhattan'], /^--neighbour-metric "manhattan" is not a valid choice: give one of "cosine", "euclidean"\./);
  for (const gaps of ['0', '10,0', '0,0']) await rejects([dir, '--gaps', gaps], driftMessages.badGapList(gaps));
  await rejects([dir, '--bogus'], /Unknown argument/);
  // A file where the run folder belongs: said plainly, with the run it belongs to and inspect for the file.
  await rejects([runPaths(dir).snapshot(10)], driftMessages.fileNotRun(runPaths(dir).snapshot(10), dir));
  assert.match(driftMessages.fileNotRun(runPaths(dir).snapshot(10), dir), /is a file, not a run folder.*xbm-drift drift .*xbm-drift inspect /);
  writeFileSync(join(dir, 'notes.txt'), 'notes');
  await rejects([join(dir, 'notes.txt')], driftMessages.fileNotRun(join(dir, 'notes.txt'), null));
  writeFileSync(runPaths(dir).snapshot(10), 'not arrow');
  await rejects([dir, '--gaps', '10'], ioMessages.notArrowFile(runPaths(dir).snapshot(10)));
  for (const m of [...Object.values(driftMessages)]) {
    const text = (m as (...a: unknown[]) => string)('x.arrow', [1], [2]);
    assert.ok(!text.includes('\n'), `one line: ${text}`);
  }
});

test('gaps no two snapshots are apart are refused before anything is written: a good drift.csv stays', async (t) => {
  const dir = tempDir(t);
  makeRun(dir, { n: 6, dim: 3, iterations: [0, 10, 20] });
  await drift([dir]);
  const p = runPaths(dir);
  const good = readFileSync(p.driftCsv, 'utf8');
  const arrow = readFileSync(p.driftArrow);
  await rejects([dir, '--gaps', '1000000000'], driftMessages.noPossibleGap(dir, [1000000000], [10, 20]));
  assert.match(driftMessages.noPossibleGap(dir, [1000000000], [10, 20]), /at most 20 /);
  await rejects([dir, '--gaps', '7,1000'], driftMessages.noPossibleGap(dir, [7, 1000], [10, 20]));
  assert.equal(readFileSync(p.driftCsv, 'utf8'), good);
  assert.deepEqual(readFileSync(p.driftArrow), arrow);
  // A run of one snapshot has no gap at all: refused too, with nothing written.
  const one = tempDir(t);
  makeRun(one, { n: 6, dim: 3, iterations: [40] });
  await rejects([one], driftMessages.noPossibleGap(one, [], []));
  assert.equal(existsSync(runPaths(one).analysis), false);
});
