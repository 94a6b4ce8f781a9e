import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process and captures what it prints. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = before;
  }
}

/** Flags of a training run small enough for a unit test (seconds on the cpu backend). */
export const TINY_TRAIN = [
  '--dataset', 'mnist2', '--images-per-class', '8', '--backend', 'cpu',
  '--model', 'mlp', '--hidden', '32', '--dim', '8', '--classes-per-batch', '4', '--per-class', '2',
  '--probe-size', '24', '--snapshot-every', '4', '--snapshot-offsets', '1', '--eval-every', '4',
  '--checkpoint-every', '4', '--quiet',
];
