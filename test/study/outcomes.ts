/** Hand-made run outcomes for the study tests. */
import type { RunOutcome } from '../../src/study/outcome.js';

export const outcome = (r1: number, o: Partial<RunOutcome> = {}): RunOutcome => ({
  status: 'completed', r1, mapAtR: r1 / 2, collapsed: false, start: '100', pauses: 0, msPerIteration: 10, wallSeconds: 1, backend: 'cpu', ...o,
});
