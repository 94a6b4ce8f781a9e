import type { ReducerKind } from '../losses/reducers/registry.js';

/**
 * The XBM configuration and start policy the demo uses: what the XBM study supports (README "XBM
 * study", scripts/xbm-study.ts), not tuned to the demo. Both runs use the reducer (it changes the
 * batch term too, so the baseline compares like with like); the XBM run adds the memory
 * compensation; `evidence` is the study's finding the summary quotes.
 */
export const DEMO_XBM = {
  reducer: 'mean-active',
  adapt: 'momentum',
  policy: 'plateau',
  evidence: 'PLACEHOLDER',
} as const satisfies { reducer: ReducerKind; adapt: string; policy: string; evidence: string };
