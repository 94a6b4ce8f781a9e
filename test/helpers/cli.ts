import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));

/**
 * Runs the real CLI (bin/xbm-drift.js) in a child process and collects what it prints. A child,
 * not an in-process call: patching process.stdout would also swallow the test runner's own
 * reports, which it writes to stdout while a test runs.
 */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** Flags of a training run small enough for a unit test (seconds on the cpu backend). */
export const TINY_TRAIN = [
  '--dataset', 'mnist2', '--images-per-class', '8', '--backend', 'cpu',
  '--model', 'mlp', '--hidden', '32', '--dim', '8', '--classes-per-batch', '4', '--per-class', '2',
  '--probe-size', '24', '--snapshot-every', '4', '--snapshot-offsets', '1', '--eval-every', '4',
  '--checkpoint-every', '4', '--quiet',
];

/** TINY_TRAIN with the given flags replacing its own (or added). */
export function tinyTrain(overrides: Record<string, string>): string[] {
  const args = [...TINY_TRAIN];
  for (const [flag, value] of Object.entries(overrides)) {
    const i = args.indexOf(flag);
    if (i >= 0) args[i + 1] = value;
    else args.push(flag, value);
  }
  return args;
}
