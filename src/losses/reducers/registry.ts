import { UserError } from '../../errors.js';
import { configMessages } from '../../messages/config.js';
import { meanActive } from './mean-active.js';
import { mean } from './mean.js';
import type { ReducerDefinition } from './reducer.js';
import { sumPerQuery } from './sum-per-query.js';

/**
 * Every reducer, one line each (a new one: a file exporting a ReducerDefinition and a line here).
 * The CLI's --reducer choices and createLoss read this table. No tfjs here.
 */
export const REDUCERS = [sumPerQuery, meanActive, mean] as const;

export type ReducerKind = (typeof REDUCERS)[number]['kind'];
export const REDUCER_KINDS: readonly ReducerKind[] = REDUCERS.map((r) => r.kind);

/** The registered reducer of this kind, or a UserError listing the known ones. */
export function reducerDefinition(kind: string): ReducerDefinition<ReducerKind> {
  const r = REDUCERS.find((d) => d.kind === kind);
  if (!r) throw new UserError(configMessages.unknownChoice('reducer', String(kind), REDUCER_KINDS));
  return r;
}
