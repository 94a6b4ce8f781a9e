/**
 * The XBM study (docs/studies.md "XBM study"; the logic: src/study/xbm-study.ts). Resumable: completed runs
 * are reused, an interrupted one resumes from its checkpoint; Ctrl-C stops after the current
 * iteration, and the same command continues.
 *
 *   node --import tsx scripts/xbm-study.ts [--out runs/xbm-study] [--seeds 3]
 *       [--regimes scratch-16,scratch-64,pretrained-64,scratch-drop-64] [--fashion <idx folder>]
 *       [--iterations N (every regime)] [--iterations-<regime> N] [--backend auto]
 *       [--reducers a,b] [--adapts a,b] [--policies a,b]   (default: from the registries)
 *       [--configuration default|<reducer>:<adapt>] (skip the screen: held-out regimes) [--guard-arm yes|no]
 *       [--plan | --slurm [--partition P --time T --cpus-per-task N --gpus-per-task N --mem M]
 *        | --k8s --image IMG [--pvc CLAIM] [--parallelism N]]
 *
 * --plan, --slurm, --k8s: each regime's next unfinished stage becomes points of the sweep folder
 * <out>/<regime> (`xbm-drift sweep --point <index> <out>/<regime>` trains one); rerun after they
 * finish for the next stage, then once without them for the tables (every run is reused).
 * The smoke test is `--iterations 8 --seeds 2`.
 */
import { studyMain } from './study-main.js';
import { parseXbmStudyArgs } from '../src/study/xbm-study-args.js';
import { runXbmStudy } from '../src/study/xbm-study.js';

await studyMain('xbm-study', async (signal) => {
  const a = parseXbmStudyArgs(process.argv.slice(2));
  const started = Date.now();
  const { results } = await runXbmStudy(a.options, a.mode, { signal, cluster: a.cluster, log: (l) => console.error(l), print: (l) => console.log(l) });
  if (a.mode === 'local') console.log(`study: ${results.flatMap((r) => r.runs).length} runs, ${((Date.now() - started) / 60000).toFixed(1)} min this session; ${a.options.out}/study.md`);
});
