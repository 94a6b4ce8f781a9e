import type { RunRecord } from '../io/formats/run-record.js';

/** What a study reads of one finished run (run.json): the pure study functions take only this. */
export interface RunOutcome {
  status: string;
  /** R@1 and MAP@R of the last evaluation; NaN without one */
  r1: number;
  mapAtR: number;
  collapsed: boolean;
  /** 'off': no memory; 'never': the memory was configured and never started; else the iteration it started at */
  start: string;
  /** pauses of the memory loss (the guard's, or a policy's) */
  pauses: number;
  msPerIteration: number;
  wallSeconds: number;
  /** the backend it trained on */
  backend: string;
}

export function outcomeOf(r: RunRecord): RunOutcome {
  return {
    status: r.status,
    r1: r.final?.recall_at_1 ?? NaN,
    mapAtR: r.final?.map_at_r ?? NaN,
    collapsed: r.collapse?.collapsed === true,
    start: r.xbm.size === 0 ? 'off' : r.xbm.start === null ? 'never' : String(r.xbm.start),
    pauses: r.xbm.events.filter((e) => e.kind === 'xbm-pause').length,
    msPerIteration: r.timings.msPerIteration,
    wallSeconds: r.timings.wallSeconds,
    backend: r.backend.name,
  };
}

/** Whether the memory started (a numeric start). */
export const started = (o: RunOutcome) => o.start !== 'off' && o.start !== 'never';
