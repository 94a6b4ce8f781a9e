import { cliMessages } from '../messages/cli.js';
import { consoleOutput, type CliOutput } from './output.js';

/** Exit status after an interrupt, whichever signal it was (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

export interface InterruptOptions {
  /** where the one-line notice goes (default: stderr) */
  output?: CliOutput;
  /** how the second signal ends the process (default: process.exit) */
  exit?: (code: number) => void;
  /** the signals that interrupt (default: SIGINT and SIGTERM) */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Runs a long job with an AbortSignal tied to Ctrl-C. The first SIGINT or SIGTERM aborts the
 * signal (the job finishes its step, saves and returns, or rejects with the signal's reason when it
 * had not begun) and prints one line; a second one exits at once with status 130. The handlers are
 * removed when the job ends.
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>, opts: InterruptOptions = {}): Promise<T> {
  const output = opts.output ?? consoleOutput;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const signals = opts.signals ?? (['SIGINT', 'SIGTERM'] as const);
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      exit(INTERRUPTED_EXIT_CODE);
      return;
    }
    output.err(cliMessages.interrupted(name));
    controller.abort(name);
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    return await fn(controller.signal);
  } catch (e) {
    // The job rejected with the signal's own reason (signal.throwIfAborted()): it stopped before
    // it had anything to save, and the notice was printed. An interrupt all the same: status 130.
    if (controller.signal.aborted && e === controller.signal.reason) exit(INTERRUPTED_EXIT_CODE);
    throw e;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
