import type { RunRecord } from '../io/formats/run-record.js';
import type { DriftRow } from '../io/tables.js';
import type { XbmStartDecision } from '../io/formats/start-decision.js';
import { STUDY_CHOICE } from '../config/study-choice.js';
import { f1, f4 } from '../number-format.js';

/** The two runs and the start decision between them: what the summary table reads. */
export interface DemoRuns {
  baseline: RunRecord;
  xbm: RunRecord;
  decision: XbmStartDecision;
  startUsed: number;
  startSource: 'policy' | 'fallback';
  driftAtStart: DriftRow | null;
  gaps: number[];
}

/**
 * The demo's closing table, in Markdown so it pastes into notes and issues. It states the
 * outcome plainly, whichever way it went.
 */
export function formatDemoSummary(r: DemoRuns): string {
  const row = (name: string, run: RunRecord) =>
    `| ${name} | ${f4(run.final?.recall_at_1)} | ${f4(run.final?.map_at_r)} | ${run.xbm.start ?? 'off'} | ${f1(run.timings.msPerIteration)} | ${f1(run.timings.wallSeconds)} | ${run.collapse?.collapsed ? 'yes' : 'no'} |`;
  const d = r.decision;
  const b1 = r.baseline.final?.recall_at_1 ?? NaN;
  const x1 = r.xbm.final?.recall_at_1 ?? NaN;
  const delta = x1 - b1;
  const verdict = Number.isNaN(delta)
    ? 'No final evaluation to compare.'
    : Math.abs(delta) < 0.01
      ? `XBM made no difference here: R@1 ${f4(x1)} against ${f4(b1)} without it (${delta >= 0 ? '+' : ''}${(100 * delta).toFixed(1)} points).`
      : delta > 0
        ? `XBM helped here: R@1 ${f4(x1)} against ${f4(b1)} without it (+${(100 * delta).toFixed(1)} points).`
        : `XBM did not help here: R@1 ${f4(x1)} against ${f4(b1)} without it (${(100 * delta).toFixed(1)} points).`;
  const stale = r.xbm.xbm;
  return [
    '| run | R@1 | MAP@R | XBM start | ms/iteration | wall s | collapse |',
    '|---|---|---|---|---|---|---|',
    row('baseline', r.baseline),
    row('xbm', r.xbm),
    '',
    `Start: iteration ${r.startUsed}, ${r.startSource === 'policy' ? `chosen by the ${d.policy} policy` : `a fallback: the ${d.policy} policy never fired`}. ${d.reason}`,
    `Drift at the start: ${r.driftAtStart ? `D(t=${r.driftAtStart.iteration}; ${r.driftAtStart.gap}) = ${r.driftAtStart.mean.toPrecision(3)}` : 'not measured'}; threshold ${d.evidence.threshold === null ? '-' : d.evidence.threshold.toPrecision(3)}; memory span S = ${d.evidence.memorySpan} iterations (M = ${d.evidence.memorySize}, B = ${d.evidence.batchSize}).`,
    `XBM configuration: --reducer ${STUDY_CHOICE.reducer} (both runs), --xbm-adapt ${STUDY_CHOICE.adapt}; the start policy ${d.policy}${d.policy === STUDY_CHOICE.policy ? '' : ` (given; the study supports ${STUDY_CHOICE.policy})`}. Why, from the XBM study: ${STUDY_CHOICE.evidence}`,
    `Memory staleness in the XBM run: ${stale.events.filter((e) => e.kind === 'drift-over-threshold').length} time(s) over the threshold after the start; final memory ${(stale.bytes / 1e6).toFixed(2)} MB.`,
    verdict,
  ].join('\n');
}
