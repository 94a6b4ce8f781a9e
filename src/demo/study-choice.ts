import type { ReducerKind } from '../losses/reducers/registry.js';

/**
 * The XBM configuration and start policy the demo uses: what the XBM study supports (README "XBM
 * study", scripts/xbm-study.ts), by rules stated before looking at the demo, not tuned to it:
 *   configuration: the stage-A configuration that was best (mean R@1 over three seeds) in the
 *     most of the study's regimes and never collapsed. Both runs use its reducer (it changes the batch term
 *     too, so the baseline compares like with like); the XBM run adds its compensation.
 *   policy: the auto policy that passed the acceptance test (within 1 R@1 point of the best fixed
 *     start, no collapse) in the most regimes; a tie goes to the smallest worst shortfall.
 * `evidence` is the study's finding the summary quotes.
 */
export const DEMO_XBM = {
  reducer: 'mean-active',
  adapt: 'momentum',
  policy: 'plateau',
  evidence:
    'in the two regimes run in full (2026-11-30, three seeds), mean-active with the momentum key encoder was the best XBM configuration and never collapsed, while every sum-per-query configuration but momentum collapsed ' +
    '(in a third regime, batch 64 from scratch, stage A only, moments was ahead: +1.7 points against +0.8); ' +
    'plateau, staleness and scatter each passed the acceptance test in the pretrained regime (0.2 points below the best fixed start) and none in the from-scratch batch-16 one, where plateau came closest (-1.2 points; staleness and scatter never fired: -2.4). ' +
    'The differences are within the seeds\' spread.',
} as const satisfies { reducer: ReducerKind; adapt: string; policy: string; evidence: string };
