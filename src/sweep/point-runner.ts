import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One training run of a sweep: `train <args>` writing its run folder, its output going to logPath. */
export interface PointJob {
  name: string;
  args: string[];
  runDir: string;
  logPath: string;
  /** Aborted when the sweep is interrupted: the run is asked to save a checkpoint and stop. */
  signal?: AbortSignal;
}

export interface PointResult {
  /** null when the process could not start or died of a signal */
  exitCode: number | null;
}

/** Runs one sweep point. Injected into runSweep so tests can use a fake trainer. */
export type PointRunner = (job: PointJob) => Promise<PointResult>;

/** Points running now: signalled when the sweep exits while they run (one hook for any --jobs). */
const liveChildren = new Set<ChildProcess>();
function stopLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGINT');
}

/**
 * Run `command ...prefixArgs ...job.args` as a child process, its stdout and stderr into the log
 * (appended: a resumed point keeps the log of its first part). The child has its own process
 * group, so a terminal's Ctrl-C reaches only the sweep, which passes it on exactly once when
 * `job.signal` aborts (a second SIGINT would make train stop without saving). If the sweep exits
 * while the child runs (a second Ctrl-C), the child is signalled again and stops at once.
 */
export function processPointRunner(command: string, prefixArgs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): PointRunner {
  return (job) =>
    new Promise((resolve) => {
      mkdirSync(dirname(job.logPath), { recursive: true });
      const fd = openSync(job.logPath, 'a');
      writeSync(fd, `$ ${[command, ...prefixArgs, ...job.args].join(' ')}\n`);
      const child = spawn(command, [...prefixArgs, ...job.args], { stdio: ['ignore', fd, fd], env, detached: true });
      const interrupt = () => child.kill('SIGINT');
      if (job.signal?.aborted) interrupt();
      else job.signal?.addEventListener('abort', interrupt, { once: true });
      if (liveChildren.size === 0) process.on('exit', stopLiveChildren);
      liveChildren.add(child);
      let done = false;
      const finish = (code: number | null, message?: string) => {
        if (done) return;
        done = true;
        job.signal?.removeEventListener('abort', interrupt);
        liveChildren.delete(child);
        if (liveChildren.size === 0) process.off('exit', stopLiveChildren);
        if (message) writeSync(fd, `${message}\n`);
        closeSync(fd);
        resolve({ exitCode: code });
      };
      child.on('error', (e) => finish(null, `could not start: ${e.message}`));
      child.on('close', (code, signal) => finish(code, signal ? `killed by ${signal}` : undefined));
    });
}

/** The project's own CLI: `node bin/xbm-drift.js train ...`. */
export function trainPointRunner(): PointRunner {
  const bin = fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url));
  return processPointRunner(process.execPath, [bin, 'train']);
}

/** The CLI as this process runs it: this node and the package's bin/xbm-drift.js, absolute. */
export function cliCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../bin/xbm-drift.js', import.meta.url))];
}
