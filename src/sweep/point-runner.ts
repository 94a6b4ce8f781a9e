import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One training run of a sweep: `train <args>` writing its run folder, its output going to logPath. */
export interface PointJob {
  name: string;
  args: string[];
  runDir: string;
  logPath: string;
}

export interface PointResult {
  /** null when the process could not start or died of a signal */
  exitCode: number | null;
}

/** Runs one sweep point. Injected into runSweep so tests can use a fake trainer. */
export type PointRunner = (job: PointJob) => Promise<PointResult>;

/** Run `command ...prefixArgs ...job.args` as a child process, its stdout and stderr into the log. */
export function processPointRunner(command: string, prefixArgs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): PointRunner {
  return (job) =>
    new Promise((resolve) => {
      mkdirSync(dirname(job.logPath), { recursive: true });
      const fd = openSync(job.logPath, 'w');
      writeSync(fd, `$ ${[command, ...prefixArgs, ...job.args].join(' ')}\n`);
      const child = spawn(command, [...prefixArgs, ...job.args], { stdio: ['ignore', fd, fd], env });
      let done = false;
      const finish = (code: number | null, message?: string) => {
        if (done) return;
        done = true;
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
