import { UserError } from '../../errors.js';
import type { DriftRow } from '../../io/tables.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import { driftSeries, measuredGaps, sortDriftRows } from './drift-at-gap.js';
import { OnlineWarmup } from './online.js';
import type { WarmupContext, WarmupDecision, WarmupPolicyConfig } from './types.js';

/**
 * Decide when XBM should start from a run's drift table. The rows are replayed in (iteration,
 * gap) order through OnlineWarmup, the evaluator the trainer uses, so both give one answer.
 * Throws a UserError when the table cannot evaluate the policy at all (see assertEvaluable);
 * a policy that could be evaluated but never fired returns start null with its shortfall.
 */
export function decideWarmup(rows: DriftRow[], cfg: WarmupPolicyConfig, ctx: WarmupContext): WarmupDecision {
  const online = new OnlineWarmup(cfg, ctx);
  assertEvaluable(rows, online);
  for (const row of sortDriftRows(rows)) if (online.observe(row)) break;
  return online.conclude();
}

/**
 * Throws a UserError naming the missing data when the rows cannot evaluate the policy: no
 * measured gap >= the required gap, fewer such snapshots than the policy's window, or none with
 * the optional columns the policy reads (a drift.csv written before they existed). A policy
 * that reads no drift (fixed) needs none. `run` is the run folder named in the suggested command.
 */
export function assertEvaluable(rows: readonly DriftRow[], online: OnlineWarmup, run = '<run>'): void {
  if (!online.readsDrift) return;
  const kind = online.cfg.kind;
  const gap = online.requiredGap();
  const window = online.window!;
  const have = driftSeries(rows, gap).length;
  if (have === 0) throw new UserError(msg.noDriftAtGap(kind, gap, online.span, measuredGaps(rows), run));
  if (have < window) {
    throw new UserError(msg.tooFewSnapshots(kind, gap, have, window, run, online.ctx.snapshotIterations?.length));
  }
  const columns = online.reads;
  // Any row at a gap the policy reads will do: these columns depend on the iteration only.
  const read = rows.filter((r) => r.gap >= gap);
  if (columns.length > 0 && !read.some((r) => columns.every((c) => Number.isFinite(r[c])))) {
    // Absent: a table from before the columns existed. Present but NaN: the probe cannot give them.
    const absent = read.every((r) => columns.every((c) => r[c] === undefined));
    throw new UserError(absent ? msg.driftLacksColumns(kind, columns, gap, run) : msg.driftColumnsUnmeasured(kind, columns, gap));
  }
}
