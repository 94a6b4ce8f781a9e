import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { outputOf } from '../../src/cli/output.js';

test('a command prints through its parse context\'s output; a capture without log drops progress lines', () => {
  const out: string[] = [];
  const err: string[] = [];
  const o = outputOf({ output: { out: (l) => out.push(l), err: (l) => err.push(l) } });
  o.out('result');
  o.err('warning');
  o.log('1/4 progress');
  assert.deepEqual([out, err], [['result'], ['warning']]);
});

test('verbs write through src/cli/output.ts, not process.stdout/stderr directly', () => {
  const dir = fileURLToPath(new URL('../../src/cli/', import.meta.url));
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'output.ts')) {
    const text = readFileSync(dir + name, 'utf8');
    assert.doesNotMatch(text, /process\.(stdout|stderr)\.write/, `src/cli/${name} writes directly`);
  }
});
