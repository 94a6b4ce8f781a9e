import type { XbmStart } from '../../config/train-config.js';
import type { WarmupDecision } from '../../analysis/warmup/types.js';
import { num, obj } from '../json-values.js';

/**
 * The XBM start decision as run folders hold it: run.json `xbm.decision` (the online policy that
 * started XBM) and analysis/warmup.json `decision` (an offline suggestion) are both a
 * WarmupDecision. A start fixed by the configuration is a decision too, with policy 'fixed' and
 * no evidence: StartDecision is what the report shows for either.
 */
export type XbmStartDecision = WarmupDecision;

export interface StartDecision {
  start: number | null;
  policy: string;
  parameters?: unknown;
  evidence?: unknown;
  reason?: string;
}

/**
 * The start a configuration fixes (config.json `xbm.start`, run.json `xbm.requested`): the iteration
 * of {kind: 'at'}, null for {kind: 'off'}, undefined for {kind: 'auto'} (a policy decides).
 * A bare number or 'off' (older files, other tools) is accepted too.
 */
export function configuredStart(v: XbmStart | unknown): number | null | undefined {
  if (v === null || v === 'off') return null;
  if (num(v) !== undefined) return num(v);
  const o = obj(v);
  if (o?.kind === 'off') return null;
  if (o?.kind === 'at') return num(o.iteration);
  return undefined;
}
