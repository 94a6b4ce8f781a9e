/**
 * The smart-mining study (docs/smart-mining.md; the logic: src/study/smart-mining-study.ts).
 * Resumable: completed runs of the planned configuration are reused, an interrupted one resumes;
 * Ctrl-C stops after the current iteration, and the same command continues.
 *
 *   node --import tsx scripts/smart-mining-study.ts [--out runs/smart-mining-study]
 *       [--seeds 3] [--regimes default,pretrained] [--arms baseline,xbm,smart] (also smart-triplet, global)
 *       [--iterations N (both regimes)] [--iterations-default 250] [--iterations-pretrained 120]
 *       [--xbm-size 1000] [--index hnsw] [--backend auto]
 *       [--plan | --slurm [--partition P ...] | --k8s --image IMG]   every run as a sweep point of
 *                                  <out>/<regime>, then rerun without it for the tables
 *
 * Sized for about 35 minutes on 2 cores (docs/smart-mining.md); the smoke test is
 * `--iterations 10 --seeds 1`.
 */
import { studyMain } from './study-main.js';
import { parseSmartMiningStudyArgs } from '../src/study/smart-mining-study-args.js';
import { runSmartMiningStudy } from '../src/study/smart-mining-study.js';

await studyMain('smart-mining-study', async (signal) => {
  const options = parseSmartMiningStudyArgs(process.argv.slice(2));
  const started = Date.now();
  const r = await runSmartMiningStudy(options, options.mode, { signal, cluster: options.cluster, log: (l) => console.error(l) });
  if (r === null) return;
  console.log(`\n${r.markdown}`);
  for (const report of r.reports) console.log(`report: ${report}`);
  console.log(`study: ${r.runs} runs, ${((Date.now() - started) / 60000).toFixed(1)} min this session; ${options.out}/study.md`);
});
