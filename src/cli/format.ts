import type { RunRecord } from '../io/formats/run-record.js';
import { f1, f4 } from '../number-format.js';

/** A short plain-text summary of a finished (or stopped) run. */
export function formatRunSummary(dir: string, r: RunRecord): string {
  const lines = [
    `run        ${dir} (${r.status}${r.message ? `: ${r.message}` : ''})`,
    `dataset    ${r.dataset.description}`,
    `backend    ${r.backend.name}${r.backend.threads ? `, ${r.backend.threads} thread(s)` : ''}`,
    `iterations ${r.iterationsDone}/${r.iterations}, ${f1(r.timings.msPerIteration)} ms/iteration (median), wall ${f1(r.timings.wallSeconds)} s`,
  ];
  if (r.xbm.size > 0) {
    const start = r.xbm.start === null ? 'never started' : `started at iteration ${r.xbm.start}`;
    lines.push(`xbm        M = ${r.xbm.size} (${(r.xbm.bytes / 1e6).toFixed(2)} MB), S = ${r.xbm.span} iterations, ${start}${r.xbm.decision ? ` — ${r.xbm.decision.reason}` : ''}`);
  }
  if (r.final) {
    lines.push(`test       R@1 ${f4(r.final.recall_at_1)}  R@2 ${f4(r.final.recall_at_2)}  R@4 ${f4(r.final.recall_at_4)}  R@8 ${f4(r.final.recall_at_8)}  MAP@R ${f4(r.final.map_at_r)}  NMI ${f4(r.final.nmi)}`);
  }
  if (r.collapse?.collapsed) lines.push(`COLLAPSE   ${(r.collapse.signals as { message: string }[]).map((s) => s.message).join(' ')}`);
  return lines.join('\n');
}
