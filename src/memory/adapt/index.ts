import { UserError } from '../../errors.js';
import { memoryMessages as M } from '../../messages/memory.js';
import type { AdaptEnv, AdaptStrategy, MemoryAdapter } from './adapter.js';
import { momentsStrategy } from './moments.js';
import { momentum } from './momentum.js';
import { none } from './none.js';
import { refreshById } from './refresh-by-id.js';
import { sdc } from './sdc.js';

/**
 * Every memory compensation strategy (--xbm-adapt), one line each. A new one is a file exporting
 * an AdaptStrategy (adapter.ts) and one line here; the CLI's choices and help come from this list.
 */
export const ADAPT_STRATEGIES = [none, momentsStrategy, sdc, momentum, refreshById] as const;

type ConfigOf<S> = S extends AdaptStrategy<infer C, infer _F> ? C : never;
/** A validated strategy as config.json records it (xbm.adapt). */
export type XbmAdaptConfig = ConfigOf<(typeof ADAPT_STRATEGIES)[number]>;
export type XbmAdaptKind = XbmAdaptConfig['kind'];
/** Every flag a registered strategy declares. */
export type AdaptFlagSpec = NonNullable<(typeof ADAPT_STRATEGIES)[number]['flags']>[number];

export const ADAPT_KINDS: readonly XbmAdaptKind[] = ADAPT_STRATEGIES.map((s) => s.kind);

/** The memory adapter of a run's configured strategy. */
export function createAdapter(config: XbmAdaptConfig, env: AdaptEnv): MemoryAdapter {
  const s = ADAPT_STRATEGIES.find((x) => x.kind === config.kind);
  if (!s) throw new UserError(M.unknownAdapt(String(config.kind), ADAPT_KINDS));
  return (s as AdaptStrategy<XbmAdaptConfig>).create(config, env);
}

export type { AdaptEnv, AdaptInput, AdaptStrategy, MemoryAdapter, ReturnedSample } from './adapter.js';
