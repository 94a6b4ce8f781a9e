/**
 * The XBM paper's figures on our regimes (docs/clusters.md "Paper figures"; the logic:
 * src/study/paper-figures.ts, the plan: src/sweep/paper-plan.ts).
 *
 *   node --import tsx scripts/paper-figures.ts --out sweeps/paper [--budget small|paper] [--iterations N]
 *       [--plan]                      write sweep.json and plan.tsv, print the commands (the default)
 *       [--run [--points 0,3]]        train the points here, one after another (all, or those listed)
 *       [--collect]                   sweep.csv, drift of the drift run, and the page report/index.html
 *       [--slurm [--partition P] [--time T] [--cpus-per-task N] [--gpus-per-task N] [--mem M]]
 *       [--k8s --image IMG [--pvc CLAIM] [--parallelism N]]
 *       [-- train flags for every point, e.g. --reducer mean-active --seed 2]
 *
 * Every point is an ordinary sweep point: `xbm-drift sweep --point <index> <dir>` trains one (what
 * the Slurm array tasks and Kubernetes indices run), and completed points are never retrained.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { trainArgsCheck } from '../src/cli/sweep.js';
import { paperFigures, parsePaperArgs, type PaperArgs, type PaperDeps } from '../src/study/paper-figures.js';
import { studyMain } from './study-main.js';

export { paperCommands, parsePaperArgs, type PaperArgs, type PaperMode } from '../src/study/paper-figures.js';

/** The paper figures with the train verb's own checks of every point. */
export const paperFiguresChecked = (a: PaperArgs, deps: PaperDeps = {}) => paperFigures(a, { trainArgs: trainArgsCheck, ...deps });
export { paperFiguresChecked as paperFigures };

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await studyMain('paper-figures', async () => {
    await paperFiguresChecked(parsePaperArgs(process.argv.slice(2)));
  });
}
