/**
 * The warm-up study (docs/studies.md "Warm-up study"; the logic: src/study/warmup-study.ts): no XBM, XBM
 * from 0, from fixed starts, each registered auto policy, and auto plus the guard, one seed.
 * Writes study.csv and study.md into --out and prints the table. Resumable: completed runs of the
 * same configuration are reused.
 *
 *   node --import tsx scripts/warmup-study.ts [--out runs/warmup-study] [--iterations 600]
 *       [--xbm-size 3000] [--starts 100,300] [--backend auto] [--dataset mnist2] [--seed 1]
 *       [--snapshot-every 25] [--snapshot-offsets 5] [--probe-size 512] [--lr X] [--schedule S] [--lr-step N]
 *       [--arms no-xbm,xbm-auto]   (a subset of the arms, by the folder name each arm gets)
 *       [--plan | --slurm [--partition P ...] | --k8s --image IMG]   the arms as sweep points of --out
 *                                  (`xbm-drift sweep --point <index> <out>`), then rerun without it for the table
 */
import { studyMain } from './study-main.js';
import { parseWarmupStudyArgs } from '../src/study/warmup-study-args.js';
import { runWarmupStudy } from '../src/study/warmup-study.js';

await studyMain('warmup-study', async (signal) => {
  const options = parseWarmupStudyArgs(process.argv.slice(2));
  const md = await runWarmupStudy(options, options.mode, { signal, cluster: options.cluster, log: (l) => console.error(l) });
  if (md !== null) console.log(`\n${md}`);
});
