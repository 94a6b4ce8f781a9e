/**
 * The XBM study's regimes (docs/studies.md "XBM study"): what differs between them; everything else is
 * the trainer's default (contrastive, margin 0.5, batch 64 = 16 x 4, Adam 1e-3 constant).
 */
import type { TrainFlags } from '../config/train-config.js';
import { DEMO_REGIME } from '../demo/demo.js';
import { UserError } from '../errors.js';
import { studyMessages as msg } from '../messages/study.js';

export interface Regime {
  name: string;
  iterations: number;
  /** what the regime is, for the tables */
  describe: string;
  /** M: the training split, the paper's choice and the lab probe's */
  xbmSize: number;
  flags: Omit<TrainFlags, 'out'>;
  /** a regime no start policy was designed on: run only when named, reported apart */
  heldOut?: true;
}

export interface RegimeOptions {
  /** one budget for every regime (a smoke test) */
  iterations?: number;
  /** per-regime budgets, by name */
  iterationsOf?: Readonly<Record<string, number>>;
  /** an IDX folder of Fashion-MNIST: adds the fashion-64 regime */
  fashion?: string | null;
  /** the regimes to run, in this order (default: all) */
  wanted?: readonly string[];
}

const BATCH_16 = { classesPerBatch: 4, perClass: 4 };
// Fashion-MNIST's split trains on 5 of its 10 classes, so batch 64 is 4 classes x 16. 600 images per
// class make both splits 3,000 images, as in the mnist2 regimes, so M = the training split = 3,000
// (S = 47) and an evaluation costs what theirs does (all 35,000 test images took 3-4 min a run).
const FASHION_DATA = { classesPerBatch: 4, perClass: 16, imagesPerClass: 600 };

/** The study's default budgets: about three hours for the four mnist regimes on a 2-core machine. */
export const DEFAULT_BUDGETS: Readonly<Record<string, number>> = {
  'scratch-16': 400, 'scratch-64': 200, 'pretrained-64': 150, 'scratch-drop-64': 200, 'fashion-64': 200,
  'long-64': 2000, 'shuffle-64': 200, 'ms-64': 200,
};

/**
 * Held-out regimes (issue 22), written down on 2026-12-07 before any start policy was run on them:
 * a long budget, where a slow-drift phase can exist (the paper warmed up for 1,000-3,000 of 20,000+
 * iterations; the design regimes stop at 150-400), the shuffle sampler (positives then come mostly
 * from the memory), and the multi-similarity loss. Each changes one thing against scratch-64.
 */
const HELD_OUT = (budget: (name: string) => number): Regime[] => [
  { name: 'long-64', iterations: budget('long-64'), xbmSize: 3000, heldOut: true, describe: 'mnist2 from scratch, batch 64 (16 x 4), Adam 1e-3 constant, a long budget', flags: { probeSize: 256 } },
  { name: 'shuffle-64', iterations: budget('shuffle-64'), xbmSize: 3000, heldOut: true, describe: 'mnist2 from scratch, a shuffle sampler of batch 64, Adam 1e-3 constant', flags: { probeSize: 256, sampler: 'shuffle', batchSize: 64 } },
  { name: 'ms-64', iterations: budget('ms-64'), xbmSize: 3000, heldOut: true, describe: 'mnist2 from scratch, multi-similarity loss, batch 64 (16 x 4), Adam 1e-3 constant', flags: { probeSize: 256, loss: 'multi-similarity' } },
];

export function xbmRegimes(o: RegimeOptions = {}): Regime[] {
  const budget = (name: string) => o.iterations ?? o.iterationsOf?.[name] ?? DEFAULT_BUDGETS[name];
  const drop = budget('scratch-drop-64');
  const all: Regime[] = [
    { name: 'scratch-16', iterations: budget('scratch-16'), describe: 'mnist2 from scratch, batch 16 (4 x 4), Adam 1e-3 constant', xbmSize: 3000, flags: { ...BATCH_16, probeSize: 256 } },
    { name: 'scratch-64', iterations: budget('scratch-64'), describe: 'mnist2 from scratch, batch 64 (16 x 4), Adam 1e-3 constant', xbmSize: 3000, flags: { probeSize: 256 } },
    {
      name: 'pretrained-64', iterations: budget('pretrained-64'), xbmSize: 2000,
      describe: 'mnist3 (4 images per class) from builtin:digits, batch 64, Adam 1e-4',
      // Two probe images per training class (500), so the scatter policy's W(t) rests on every class.
      flags: { dataset: DEMO_REGIME.dataset, backbone: DEMO_REGIME.backbone, lr: DEMO_REGIME.lr, imagesPerClass: 4, probeSize: 1000 },
    },
    {
      name: 'scratch-drop-64', iterations: drop, xbmSize: 3000, describe: 'mnist2 from scratch, batch 64, Adam 1e-3 then 1e-4 from mid-run',
      flags: { probeSize: 256, schedule: 'step', lrStep: Math.max(1, Math.round(drop / 2)), lrGamma: 0.1 },
    },
  ];
  if (o.fashion) {
    all.push({
      name: 'fashion-64', iterations: budget('fashion-64'), xbmSize: 3000,
      describe: `Fashion-MNIST (idx:${o.fashion}) 600 images per class, from scratch, batch 64 (4 x 16), Adam 1e-3`,
      flags: { dataset: `idx:${o.fashion}`, ...FASHION_DATA, probeSize: 256 },
    });
  }
  all.push(...HELD_OUT(budget));
  // Held-out regimes run only when named, so the design table is never mixed with them.
  const wanted = o.wanted ?? all.filter((r) => !r.heldOut).map((r) => r.name);
  const unknown = wanted.filter((w) => !all.some((r) => r.name === w));
  if (unknown.length > 0) throw new UserError(msg.unknownRegime(unknown, all.map((r) => r.name), o.fashion ? '' : ' (fashion-64 needs --fashion <idx folder>)'));
  return wanted.map((w) => all.find((r) => r.name === w)!);
}
