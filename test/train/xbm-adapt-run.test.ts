/**
 * --xbm-adapt through the real CLI: flag refusals before any file is written; a kill -9 and
 * --resume give the same run bit for bit as an uninterrupted one for the strategies with state
 * (momentum's key encoder, moments' smoothed statistics), and --resume drops memory-staleness.csv
 * rows written after the checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, tinyTrain } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readCsv } from '../../src/io/csv.js';
import type { MetricsRow } from '../../src/io/tables.js';
import { readMemoryStaleness } from '../../src/io/formats/memory-staleness.js';
import { configMessages as C } from '../../src/messages/config.js';
import { normaliseTrainConfig, resolveTrainConfig } from '../../src/config/train-config.js';
import { ADAPT_KINDS } from '../../src/memory/adapt/index.js';

const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));


const checkpointAt = (run: string) => {
  const p = join(run, 'checkpoints', 'latest.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')).iteration as number) : 0;
};

test('--xbm-adapt and --xbm-momentum: bad or idle values are refused in one line before any file is written', async (t) => {
  const dir = tempDir(t);
  const cases: [Record<string, string>, string][] = [
    [{ '--xbm-adapt': 'sdc' }, C.flagNeeds('--xbm-adapt', '--xbm-size M (a memory)', '--xbm-size 0')],
    [{ '--xbm-size': '40', '--xbm-start': '5', '--xbm-momentum': '0.9' }, C.flagNeeds('--xbm-momentum', '--xbm-adapt momentum', '--xbm-adapt moments')],
    [{ '--xbm-size': '40', '--xbm-start': '5', '--xbm-adapt': 'momentum', '--xbm-momentum': '1' }, C.momentumRange(1)],
    [{ '--xbm-size': '40', '--xbm-start': '5', '--xbm-adapt': 'momentum', '--xbm-momentum': '-0.1' }, C.momentumRange(-0.1)],
  ];
  for (const [flags, message] of cases) {
    const out = join(dir, 'run');
    const r = await runCli(['train', ...tinyTrain({ ...flags, '--out': out })]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `xbm-drift: ${message}`);
    assert.equal(existsSync(out), false, 'nothing written');
  }
  const bogus = await runCli(['train', ...tinyTrain({ '--xbm-size': '40', '--xbm-adapt': 'bogus', '--out': join(dir, 'b') })]);
  assert.equal(bogus.code, 2);
  for (const kind of ADAPT_KINDS) assert.ok(bogus.stderr.includes(kind), bogus.stderr);
});

test('config.json without xbm.adapt (older runs) loads as plain XBM; the default is the XBM study\'s (moments) and momentum defaults to MoCo\'s 0.999', () => {
  const config = resolveTrainConfig({ out: '/tmp/xbm-drift-unused', xbmSize: 640 });
  assert.deepEqual(config.xbm.adapt, { kind: 'moments' });
  const { adapt: _adapt, ...older } = config.xbm;
  assert.deepEqual(normaliseTrainConfig(JSON.parse(JSON.stringify({ ...config, xbm: older }))).xbm.adapt, { kind: 'none' });
  assert.deepEqual(resolveTrainConfig({ out: '/tmp/x', xbmSize: 640, xbmAdapt: 'momentum' }).xbm.adapt, { kind: 'momentum', momentum: 0.999 });
});

const STATEFUL: { kind: string; extra: Record<string, string> }[] = [{ kind: 'momentum', extra: { '--xbm-momentum': '0.9' } }, { kind: 'moments', extra: {} }];
for (const adapt of STATEFUL) {
  test(`--xbm-adapt ${adapt.kind}: kill -9 after a checkpoint, then --resume: bit-identical to an uninterrupted run, memory-staleness.csv truncated to the checkpoint`, async (t) => {
    const dir = tempDir(t);
    const flags: Record<string, string> = {
      '--iterations': '150', '--eval-every': '75', '--snapshot-every': '5', '--checkpoint-every': '10', '--images-per-class': '2',
      '--xbm-size': '40', '--xbm-start': '8', '--xbm-adapt': adapt.kind, ...adapt.extra,
    };
    const straight = join(dir, 'straight');
    const a = await runCli(['train', ...tinyTrain({ ...flags, '--out': straight })]);
    assert.equal(a.code, 0, a.stderr);
    const killed = join(dir, 'killed');
    const child = spawn(process.execPath, [BIN, 'train', ...tinyTrain({ ...flags, '--out': killed })], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const start = Date.now();
    while (checkpointAt(killed) < 20) {
      assert.ok(Date.now() - start < 60_000, 'a checkpoint at 20 within a minute');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    // A row from after the checkpoint, as a write the kill interrupted the run after would leave.
    appendFileSync(join(killed, 'memory-staleness.csv'), `${checkpointAt(killed) + 1},1,99,99,99,99,0.5,0.5\n`);
    const b = await runCli(['train', '--resume', killed]);
    assert.equal(b.code, 0, b.stderr);
    const ma = await readCsv<MetricsRow>(join(straight, 'metrics.csv'));
    const mb = await readCsv<MetricsRow>(join(killed, 'metrics.csv'));
    assert.deepEqual(mb.map((m) => [m.iteration, m.loss]), ma.map((m) => [m.iteration, m.loss]), 'the same losses at every step');
    const sa = (await readMemoryStaleness(straight))!;
    const sb = (await readMemoryStaleness(killed))!;
    assert.ok(sa.some((r) => r.returned > 0), 'samples came back while stored');
    assert.deepEqual(sb, sa, 'memory-staleness.csv: no row lost, duplicated or left from after the checkpoint');
  });
}
