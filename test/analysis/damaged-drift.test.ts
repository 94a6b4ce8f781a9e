import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runWarmup } from '../../src/cli/warmup.js';
import { reportMain } from '../../src/cli/report.js';
import { UserError } from '../../src/errors.js';
import { runPaths } from '../../src/io/run-paths.js';
import { ioMessages } from '../../src/messages/io.js';
import { analysisMessages } from '../../src/messages/analysis.js';
import { tempDir } from '../helpers/tmp.js';

const HEADER = 'iteration,gap,mean,median,p90,max,n,scatter_within,scatter_between';
const GOOD = [100, 200, 300].map((t) => `${t},50,0.01,0.01,0.01,0.01,8,1,2`);

/** A run folder whose analysis/drift.csv holds `lines`; warmup gets its context from config.json. */
function runWithDrift(t: { after: (fn: () => void) => void }, lines: string[]): string {
  const dir = tempDir(t);
  writeFileSync(runPaths(dir).config, JSON.stringify({ batchSize: 64, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 3000 } }));
  mkdirSync(runPaths(dir).analysis);
  writeFileSync(runPaths(dir).driftCsv, lines.join('\n') + '\n');
  return dir;
}

async function refused(dir: string, message: string | RegExp) {
  await assert.rejects(runWarmup({ run: dir }, () => {}, () => {}), (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String((e as Error).stack)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('warmup on a damaged drift.csv says in one line which file and what is wrong, never a parser stack', async (t) => {
  // An unclosed quote: the CSV parser gives up.
  const quote = runWithDrift(t, [HEADER, ...GOOD, '400,50,"0.01']);
  await refused(quote, new RegExp(`^${runPaths(quote).driftCsv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(.*\\): delete it, or rerun the run that wrote it\\.$`));
  // A cell that is not a number, and a row cut short.
  const junk = runWithDrift(t, [HEADER, ...GOOD, '400,50,abc,0.01,0.01,0.01,8,1,2']);
  await refused(junk, ioMessages.badTable(runPaths(junk).driftCsv, 'row 4: mean is "abc", not a number'));
  const cut = runWithDrift(t, [HEADER, ...GOOD, '400,50']);
  await refused(cut, ioMessages.badTable(runPaths(cut).driftCsv, 'row 4: mean is missing'));
  // A file that is not a drift table at all.
  const other = runWithDrift(t, ['a,b', '1,2']);
  await refused(other, analysisMessages.badDriftCsv(runPaths(other).driftCsv, 'iteration'));
});

test('report on a damaged drift.csv is the same one line', async (t) => {
  const dir = runWithDrift(t, [HEADER, ...GOOD, '400,50,"0.01']);
  writeFileSync(runPaths(dir).metrics, 'iteration,loss\n0,1\n');
  await assert.rejects(reportMain({ inputs: [dir], theme: 'default', force: false, smooth: 0 }, { out: () => {}, err: () => {} }), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(e.message.startsWith(`${runPaths(dir).driftCsv} is damaged (`), e.message);
    return true;
  });
});
