/**
 * The warmup verb's policy flags follow the policy registry (issue 21): every parameter a registered
 * policy declares is a flag, a flag reaches only the policies that declare it, and a policy added to
 * WARMUP_POLICIES is covered here without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { runWarmup, warmupCommand } from '../../src/cli/warmup.js';
import { parseWarmupPolicy } from '../../src/analysis/warmup/parse-policy.js';
import { policyParameters, WARMUP_POLICIES } from '../../src/analysis/warmup/policies/index.js';
import { writeCsv } from '../../src/io/csv.js';
import { runPaths } from '../../src/io/run-paths.js';
import { DRIFT_COLUMNS } from '../../src/io/tables.js';
import { UserError } from '../../src/errors.js';
import { analysisMessages as msg } from '../../src/messages/analysis.js';
import { tempDir } from '../helpers/tmp.js';
import { curve } from './warmup-fixtures.js';

const flagOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

async function cli(args: string[]): Promise<void> {
  await yargs(args)
    .command({ ...warmupCommand, handler: async (argv) => void (await runWarmup(argv as never, () => {}, () => {})) })
    .fail((m, e) => {
      throw e ?? new Error(m);
    })
    .parseAsync();
}

test('every parameter a registered policy declares is a warmup flag, described for each policy that reads it', () => {
  const options = (warmupCommand.builder as unknown as (y: unknown) => { getOptions(): { key: Record<string, unknown> } })(yargs([])).getOptions().key;
  for (const p of WARMUP_POLICIES) {
    assert.ok(p.parameters.length > 0 || p.kind === 'fixed', `${p.kind} declares its parameters`);
    for (const { key } of p.parameters) assert.ok(flagOf(key) in options, `--${flagOf(key)} (${p.kind})`);
  }
  assert.ok('threshold' in options && 'window' in options && 'relative-change' in options);
});

test('a policy parameter given as a flag reaches the policies that declare it and is refused, naming them, for any other', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ batchSize: 64, loss: { kind: 'contrastive', margin: 0.5 }, xbm: { size: 3000, start: { kind: 'off' } } }));
  mkdirSync(join(dir, 'analysis'), { recursive: true });
  await writeCsv(runPaths(dir).driftCsv, DRIFT_COLUMNS, curve([0.5, 0.3, 0.1, 0.02, 0.01], { small: 20, large: 100 }) as unknown as Record<string, unknown>[]);
  let refused = 0;
  for (const { key, policies } of policyParameters()) {
    for (const p of WARMUP_POLICIES) {
      if (policies.some((q) => q.kind === p.kind)) continue;
      const policy = p.kind === 'fixed' ? 'fixed:10' : p.kind;
      await assert.rejects(cli(['warmup', dir, '--policy', policy, `--${flagOf(key)}`, '2']),
        (e: unknown) => e instanceof UserError && e.message === msg.flagNotForPolicy(`--${flagOf(key)}`, p.kind, policies.map((q) => q.kind)));
      refused++;
    }
  }
  assert.ok(refused >= 4, `${refused} refusals checked`);
  // Declared: accepted and validated by the policy itself (a window of 0 is out of its range).
  await assert.rejects(cli(['warmup', dir, '--policy', 'plateau', '--window', '0']), /plateau window/);
});

test('a policy parameter given twice is refused in one line, for every registered policy', () => {
  for (const p of WARMUP_POLICIES) {
    for (const { key } of p.parameters) {
      assert.throws(() => parseWarmupPolicy(`${p.kind}:${key}=3,${key}=4`), (e: unknown) => e instanceof UserError && e.message === msg.repeatedPolicyParameter(p.kind, key), `${p.kind} ${key}`);
    }
  }
});
