/**
 * The claims of Wang et al. (CVPR 2020) checked against a paper-figures sweep (src/sweep/paper-plan.ts)
 * and drift curves, as pure functions: numbers in, one verdict row per claim and setting out.
 *
 * The rule for "A beats B", stated once: the difference of the means is more than twice its
 * standard error (Welch, seeds independent). With three seeds a side that is a lenient test (about a
 * two-sided p of 0.1), so every row prints the means, spreads and seed counts beside its verdict.
 * "Does as well" reuses the acceptance test's tolerance: at most one R@1 point below.
 * A setting with fewer than two completed seeds a side is "not testable here".
 */
import { POINT } from './acceptance.js';
import { mean, sd } from './summary-table.js';

export type Verdict = 'holds' | 'does not hold here' | 'not testable here';

export interface ClaimRow {
  claim: string;
  setting: string;
  measured: string;
  verdict: Verdict;
}

/** One completed point's final test R@1, with the plan keys that place it. */
export interface ClaimPoint {
  loss: string;
  batch: number;
  xbm: 'on' | 'off';
  /** the memory figure's points only (the others use the plan's memory) */
  memory?: number;
  sampler?: string;
  seed: string;
  r1: number;
}

/** D(t; gap) of one run (one seed): iterations ascending. */
export interface DriftSeries {
  seed: string;
  gap: number;
  /** the run's last iteration (the "later" phase is its last quarter) */
  iterations: number;
  points: { iteration: number; d: number }[];
}

export interface ClaimsInput {
  points: readonly ClaimPoint[];
  /** The plan's memory size, loss and batch (the memory figure's and the sampler's setting). */
  memory: number;
  loss: string;
  batch: number;
  drift: readonly DriftSeries[];
  /** Where the drift series come from, in words (the plan's drift runs, or longer runs given). */
  driftSource: string;
}

/** The paper's line between large and small drift (issue 22: "D(t; 100) above 0.7 early"). */
export const LARGE_DRIFT = 0.7;
export const DRIFT_GAP = 100;
const MIN_SEEDS = 2;

interface Compared {
  d: number;
  se: number;
  a: number[];
  b: number[];
}

export function compare(a: readonly number[], b: readonly number[]): Compared {
  const se = Math.sqrt(sd(a) ** 2 / a.length + sd(b) ** 2 / b.length);
  return { d: mean(a) - mean(b), se, a: [...a], b: [...b] };
}

/** A beats B: the difference is positive and more than twice its standard error. */
export const beats = (c: Compared) => c.d > 0 && c.d > 2 * c.se;
const testable = (c: Compared) => c.a.length >= MIN_SEEDS && c.b.length >= MIN_SEEDS;

const r1Text = (xs: readonly number[]) => `${mean(xs).toFixed(3)} ± ${sd(xs).toFixed(3)} (n=${xs.length})`;
const pointsText = (c: Compared) => `${c.d >= 0 ? '+' : ''}${(c.d / POINT).toFixed(1)} ± ${(c.se / POINT).toFixed(1)} points`;
const versus = (c: Compared) => `${r1Text(c.a)} vs ${r1Text(c.b)}: ${pointsText(c)}`;
const untestable = (c: Compared) => `seeds completed: ${c.a.length} and ${c.b.length} (need ${MIN_SEEDS} a side)`;

function row(claim: string, setting: string, c: Compared, holds: (c: Compared) => boolean): ClaimRow {
  if (!testable(c)) return { claim, setting, measured: untestable(c), verdict: 'not testable here' };
  return { claim, setting, measured: versus(c), verdict: holds(c) ? 'holds' : 'does not hold here' };
}

const select = (points: readonly ClaimPoint[], want: Partial<ClaimPoint>) =>
  points.filter((p) => (Object.keys(want) as (keyof ClaimPoint)[]).every((k) => p[k] === want[k])).map((p) => p.r1);

/** The batch figure's and P x K's points: no memory-size or sampler key. */
const batchPoints = (points: readonly ClaimPoint[]) => points.filter((p) => p.memory === undefined && p.sampler === undefined);

export function slowDriftClaim(drift: readonly DriftSeries[], source: string): ClaimRow[] {
  const claim = `Slow drift: D(t; ${DRIFT_GAP}) above ${LARGE_DRIFT} early, small later`;
  const usable = drift.filter((s) => s.gap === DRIFT_GAP && s.points.length >= 2);
  if (usable.length < MIN_SEEDS)
    return [{ claim, setting: source, measured: `runs with D(t; ${DRIFT_GAP}) at two or more iterations: ${usable.length} (need ${MIN_SEEDS})`, verdict: 'not testable here' }];
  const early = usable.map((s) => s.points[0].d);
  // The later phase: the last quarter of each run (at least its last reading).
  const late = usable.map((s) => {
    const tail = s.points.filter((p) => p.iteration >= 0.75 * s.iterations);
    return mean((tail.length ? tail : s.points.slice(-1)).map((p) => p.d));
  });
  const firstAt = usable.map((s) => s.points[0].iteration).join('/');
  const holds = early.every((d) => d > LARGE_DRIFT) && late.every((d) => d < LARGE_DRIFT);
  return [{
    claim,
    setting: source,
    measured: `first reading (t = ${firstAt}) ${early.map((d) => d.toFixed(2)).join(', ')}; last quarter ${late.map((d) => d.toFixed(2)).join(', ')} (per seed; small = below ${LARGE_DRIFT})`,
    verdict: holds ? 'holds' : 'does not hold here',
  }];
}

export function batchClaims(points: readonly ClaimPoint[]): ClaimRow[] {
  const pts = batchPoints(points);
  const batches = [...new Set(pts.map((p) => p.batch))].sort((a, b) => a - b);
  const losses = [...new Set(pts.map((p) => p.loss))];
  if (batches.length < 2) return [{ claim: 'R@1 grows with the batch size', setting: 'the batch figure', measured: `batch sizes completed: ${batches.length}`, verdict: 'not testable here' }];
  const [small, large] = [batches[0], batches[batches.length - 1]];
  return losses.flatMap((loss) =>
    (['off', 'on'] as const).map((xbm) =>
      row('R@1 grows with the batch size', `${loss}, ${xbm === 'on' ? 'with' : 'without'} XBM: batch ${large} vs ${small}`, compare(select(pts, { loss, xbm, batch: large }), select(pts, { loss, xbm, batch: small })), beats),
    ),
  );
}

/** XBM at a batch beats no XBM at a 4x larger one (the paper: 16 with XBM beats 256 without). */
export function smallBatchClaims(points: readonly ClaimPoint[]): ClaimRow[] {
  const pts = batchPoints(points);
  const batches = new Set(pts.map((p) => p.batch));
  const losses = [...new Set(pts.map((p) => p.loss))];
  const claim = 'XBM at a small batch beats no XBM at a 4x larger batch';
  const rows = losses.flatMap((loss) =>
    [...batches].sort((a, b) => a - b).filter((b) => batches.has(4 * b)).map((b) =>
      row(claim, `${loss}: batch ${b} with XBM vs ${4 * b} without`, compare(select(pts, { loss, xbm: 'on', batch: b }), select(pts, { loss, xbm: 'off', batch: 4 * b })), beats),
    ),
  );
  return rows.length ? rows : [{ claim, setting: 'the batch figure', measured: 'no batch size completed together with one 4x larger', verdict: 'not testable here' }];
}

/** With XBM the shuffle sampler does as well as P x K (the memory supplies the positives). */
export function samplerClaim(points: readonly ClaimPoint[], loss: string, batch: number): ClaimRow[] {
  const shuffle = (xbm: 'on' | 'off') => select(points, { sampler: 'shuffle', loss, batch, xbm, memory: undefined });
  const pxk = (xbm: 'on' | 'off') => select(batchPoints(points), { loss, batch, xbm });
  const withXbm = compare(shuffle('on'), pxk('on'));
  const claim = 'With XBM the shuffle sampler does as well as P x K';
  const rows = [row(claim, `${loss}, batch ${batch}: shuffle vs P x K, with XBM`, withXbm, (c) => c.d >= -POINT)];
  const without = compare(shuffle('off'), pxk('off'));
  // Context, not a verdict: the gap the memory is said to close.
  if (testable(without)) rows[0] = { ...rows[0], measured: `${rows[0].measured}; without XBM: ${pointsText(without)}` };
  return rows;
}

/** Contrastive gains the most from XBM among the losses, at the plan's batch size. */
export function lossGainClaim(points: readonly ClaimPoint[], batch: number, favoured = 'contrastive'): ClaimRow[] {
  const pts = batchPoints(points);
  const gain = (loss: string) => {
    // Seeds are paired (same seed, same batches until XBM starts): the gain is per seed.
    const on = new Map(pts.filter((p) => p.loss === loss && p.batch === batch && p.xbm === 'on').map((p) => [p.seed, p.r1]));
    return pts.filter((p) => p.loss === loss && p.batch === batch && p.xbm === 'off' && on.has(p.seed)).map((p) => on.get(p.seed)! - p.r1);
  };
  const others = [...new Set(pts.map((p) => p.loss))].filter((l) => l !== favoured);
  const claim = `${favoured} gains the most from XBM`;
  if (others.length === 0) return [{ claim, setting: `batch ${batch}`, measured: `no loss but ${favoured} completed`, verdict: 'not testable here' }];
  return others.map((other) => {
    const c = compare(gain(favoured), gain(other));
    const r = row(claim, `batch ${batch}: gain of ${favoured} vs gain of ${other}`, c, beats);
    const gainText = (g: readonly number[]) => `${(mean(g) / POINT).toFixed(1)} ± ${(sd(g) / POINT).toFixed(1)}`;
    return testable(c) ? { ...r, measured: `gain ${gainText(c.a)} vs ${gainText(c.b)} points (n=${c.a.length}, ${c.b.length}); difference ${pointsText(c)}` } : r;
  });
}

/** R@1 grows with the memory size M (the smallest against the largest). */
export function memoryClaim(points: readonly ClaimPoint[], o: { loss: string; batch: number; memory: number }): ClaimRow[] {
  const at = (m: number) => points.filter((p) => p.loss === o.loss && p.batch === o.batch && p.xbm === 'on' && p.sampler === undefined && (p.memory ?? o.memory) === m).map((p) => p.r1);
  const sizes = [...new Set(points.filter((p) => p.memory !== undefined).map((p) => p.memory!)), o.memory].sort((a, b) => a - b);
  const [small, large] = [sizes[0], sizes[sizes.length - 1]];
  if (small === large) return [{ claim: 'R@1 grows with the memory size M', setting: `${o.loss}, batch ${o.batch}`, measured: `memory sizes completed: 1 (M = ${large})`, verdict: 'not testable here' }];
  return [row('R@1 grows with the memory size M', `${o.loss}, batch ${o.batch}: M = ${large} vs ${small}`, compare(at(large), at(small)), beats)];
}

export function paperClaims(i: ClaimsInput): ClaimRow[] {
  return [
    ...slowDriftClaim(i.drift, i.driftSource),
    ...batchClaims(i.points),
    ...smallBatchClaims(i.points),
    ...samplerClaim(i.points, i.loss, i.batch),
    ...lossGainClaim(i.points, i.batch),
    ...memoryClaim(i.points, i),
  ];
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function claimsMarkdown(rows: readonly ClaimRow[]): string {
  return [
    '| claim | setting | measured (mean ± SD over seeds) | verdict |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.claim)} | ${cell(r.setting)} | ${cell(r.measured)} | **${r.verdict}** |`),
  ].join('\n') + '\n';
}
