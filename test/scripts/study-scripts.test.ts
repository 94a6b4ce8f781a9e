/**
 * The study scripts are thin entry points: bad input is one line `<script>: <problem>` and exit 2,
 * with nothing written (the library validates every run before the first one trains).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { studyMessages } from '../../src/messages/study.js';
import { representationMessages } from '../../src/messages/representation.js';
import { tempDir } from '../helpers/tmp.js';

const script = (name: string, args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join('scripts', name), ...args], { encoding: 'utf8' });

test('each study script refuses bad input in one line with exit 2 and writes nothing', (t) => {
  const out = join(tempDir(t), 'study');
  const cases: [string, string[], string][] = [
    ['xbm-study.ts', ['--out', out, '--regimes', 'nope'], `xbm-study: ${studyMessages.unknownRegime(['nope'], ['scratch-16', 'scratch-64', 'pretrained-64', 'scratch-drop-64', 'long-64', 'shuffle-64', 'ms-64'], ' (fashion-64 needs --fashion <idx folder>)')}`],
    ['warmup-study.ts', ['--out', out, '--iterations', '60', '--arms', 'xbm-never'], 'warmup-study: unknown arm xbm-never: use no-xbm, '],
    ['smart-mining-study.ts', ['--out', out, '--seeds', 'x'], `smart-mining-study: ${studyMessages.badCount('seeds', 'x')}`],
    ['paper-figures.ts', ['--out', out, '--grid', 'a=1'], `paper-figures: ${representationMessages.unknownFlag('--grid')}`],
  ];
  for (const [name, args, text] of cases) {
    const r = script(name, args);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: one line\n${r.stderr}`);
    assert.ok(lines[0].startsWith(text), `${name}: ${lines[0]}`);
    assert.equal(existsSync(out), false, `${name} wrote nothing`);
  }
});
