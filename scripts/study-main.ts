import { INTERRUPTED_EXIT_CODE, withInterrupt } from '../src/cli/interrupt.js';
import { isUserError } from '../src/errors.js';
import { StudyInterrupted } from '../src/study/run-plan.js';

/**
 * A study script's main: `job` runs with a signal Ctrl-C trips (the run in progress checkpoints);
 * a UserError prints one line `<script>: <problem>` and exits 2, an interrupt exits 130 saying how
 * to continue. The library (src/study) never exits the process.
 */
export async function studyMain(script: string, job: (signal: AbortSignal) => Promise<void>): Promise<void> {
  try {
    await withInterrupt(job);
  } catch (e) {
    if (!(e instanceof StudyInterrupted) && !isUserError(e)) throw e;
    console.error(`${script}: ${e.message}`);
    process.exitCode = e instanceof StudyInterrupted ? INTERRUPTED_EXIT_CODE : 2;
  }
}
