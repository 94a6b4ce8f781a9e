/** User-facing texts of src/analysis (retrieval, warm-up, collapse) and the warmup command. */

/** Short, stable number formatting for messages: 5 significant digits, exponent when tiny or huge. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e5 || a < 1e-3 ? x.toExponential(3).replace(/\.?0+e/, 'e') : String(Number(x.toPrecision(5)));
}
const fmt = formatNumber;

type Shortfall = {
  lastIteration: number | null;
  lastValue: number | null;
  ratio: number | null;
  consecutive: number;
  window: number;
  best: { iteration: number; value: number } | null;
  separation?: number | null;
  unmeasured?: number;
};

const pct = (x: number) => `${fmt(x * 100)}%`;
const times = (ratio: number | null) => (ratio === null || !Number.isFinite(ratio) ? '' : `, ${fmt(ratio)}x the target`);
const list = (xs: readonly number[]) => xs.join(', ');
/** 'a, b or c' */
const joinList = (xs: readonly string[], word: string) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} ${word} ${xs.at(-1)}`);
const orList = (xs: readonly string[]) => joinList(xs, 'or');

export const analysisMessages = {
  // retrieval and k-means
  badEmbeddingShape: (length: number, dim: number) =>
    `Embeddings of ${length} floats cannot be rows of width ${dim}: the width must be a positive integer that divides the length.`,
  labelLengthMismatch: (rows: number, labels: number) => `Got ${labels} labels for ${rows} embeddings: give one label per embedding.`,
  badRecallK: (k: number) => `Recall@K needs a positive integer K, got ${k}.`,
  badClusterCount: (k: number, n: number) => `k-means needs between 1 and ${n} clusters, got ${k}.`,

  // warm-up policy specs
  unknownPolicy: (name: string, usages: readonly string[]) =>
    `Unknown warm-up policy '${name}': use ${orList(usages)}, e.g. staleness:threshold=0.02,window=3.`,
  fixedNeedsStart: 'The fixed policy needs a start iteration, e.g. fixed:1000.',
  badPolicyParameterSyntax: (policy: string, part: string) =>
    `Write ${policy} parameters as key=value pairs separated by commas, got '${part}'.`,
  unknownPolicyParameter: (policy: string, key: string, allowed: readonly string[]) =>
    `The ${policy} policy has no parameter '${key}': use ${allowed.join(', ')}.`,
  badPolicyNumber: (policy: string, key: string, value: string) => `The ${policy} ${key} must be a number, got '${value}'.`,
  policyOutOfRange: (policy: string, key: string, value: number, range: string) =>
    `The ${policy} ${key} must be ${range}, got ${value}.`,
  badContextSize: (name: string, value: number) => `The ${name} must be a positive integer, got ${value}.`,

  // warm-up data requirements
  noDriftAtGap: (policy: string, gap: number, span: number, gaps: readonly number[], run: string) =>
    `The ${policy} policy reads drift at a gap of at least ${gap} (memory span S = ${span}), but ` +
    (gaps.length > 0 ? `drift.csv only has gaps ${list(gaps)}` : 'drift.csv has no rows') +
    `: compute it with \`xbm-drift drift ${run} --gaps ${gap}\`.`,
  tooFewSnapshots: (policy: string, gap: number, have: number, need: number, run: string, snapshots?: number) =>
    `The ${policy} policy needs drift at a gap of at least ${gap} at ${need} snapshots or more, but drift.csv has it at ${have}` +
    (snapshots !== undefined ? ` (the run has ${snapshots} snapshots)` : '') +
    `: train longer or snapshot more often, then run \`xbm-drift drift ${run} --gaps ${gap}\`.`,
  driftLacksColumns: (policy: string, columns: readonly string[], gap: number, run: string) =>
    `The ${policy} policy reads ${joinList(columns.map((c) => `'${c}'`), 'and')} from drift.csv, which has no values of ${columns.length === 1 ? 'it' : 'them'} at a gap of at least ${gap} ` +
    `(a drift.csv written before ${columns.length === 1 ? 'that column' : 'those columns'} existed lacks ${columns.length === 1 ? 'it' : 'them'}): recompute it from the run's snapshots with \`xbm-drift drift ${run} --gaps ${gap}\`.`,
  driftColumnsUnmeasured: (policy: string, columns: readonly string[], gap: number) =>
    `The ${policy} policy reads ${joinList(columns.map((c) => `'${c}'`), 'and')} from drift.csv, but they are NaN at every snapshot at a gap of at least ${gap}: ` +
    `the probe has no class with two samples or more (it is stratified, one per class first), or the embeddings are not finite; ` +
    `train with a --probe-size of at least twice the number of training classes.`,

  // warm-up evidence and reasons
  marginDerivation: (threshold: number, margin: number, kind: string, given: boolean) => {
    const source = kind === 'multi-similarity'
      ? `base lambda ${margin} of the multi-similarity loss (it has no margin)`
      : given ? `${kind} margin ${margin}` : `assumed margin ${margin} (none given for the ${kind} loss)`;
    return `(margin/4)^2 = ${fmt(threshold)} from the ${source}: a typical similarity error sqrt(D) of at most a quarter of the margin`;
  },
  thresholdGiven: (t: number) => `${fmt(t)}, given explicitly`,
  plateauTargetDerivation: (r: number, w: number) =>
    `relative change (max - min) / mean of the drift over ${w} snapshots at most ${fmt(r)}, given or default`,
  fixedNoThreshold: 'none: the fixed policy does not look at drift',
  scatterDerivation: (ratio: number, isDefault: boolean) =>
    `D(t; S) <= ${fmt(ratio)} x W(t), the probe's within-class scatter (pooled variance about the class means), while the between-class scatter B(t) exceeds W(t): ` +
    `a stale memory entry then sits no farther from its fresh position than a fresh sample from its class centre, so the loss sees it as an ordinary member of its class; ` +
    `B > W says the embedding has class structure at all` + (isDefault ? ` (ratio ${fmt(ratio)}: the principle itself, not fitted to any run)` : ` (ratio ${fmt(ratio)}, given)`),
  gapText: (gap: number, span: number, used: readonly number[]) => {
    const name = gap === span ? `D(t; S=${span})` : `D(t; ${gap})`;
    const read = used.filter((g) => g !== gap);
    return read.length > 0 ? `${name}, read at measured gap ${list(used)},` : name;
  },
  stalenessFired: (start: number, gapText: string, threshold: number, window: number, first: number) =>
    `The drift over the memory span ${gapText} stayed at or below ${fmt(threshold)} for ${window} consecutive snapshot${window === 1 ? '' : 's'} from iteration ${first}, so XBM can start at iteration ${start}.`,
  stalenessNotReached: (gapText: string, threshold: number, window: number, s: Shortfall) =>
    `The drift over the memory span ${gapText} never stayed at or below ${fmt(threshold)} for ${window} consecutive snapshot${window === 1 ? '' : 's'}` +
    (s.lastValue === null
      ? ': no snapshot was evaluated.'
      : `: the last value ${fmt(s.lastValue)} at iteration ${s.lastIteration} is ${fmt(s.ratio!)}x the threshold` +
        (s.best ? ` (lowest ${fmt(s.best.value)} at iteration ${s.best.iteration}).` : '.')),
  scatterFired: (start: number, gapText: string, ratio: number, window: number, first: number, dOverW: number, bOverW: number) =>
    `The drift over the memory span ${gapText} stayed at or below ${ratio === 1 ? '' : `${fmt(ratio)}x `}the probe's within-class scatter W, with the classes separated (B > W), ` +
    `for ${window} consecutive snapshot${window === 1 ? '' : 's'} from iteration ${first}, so XBM can start at iteration ${start} (there D/W = ${fmt(dOverW)}, B/W = ${fmt(bOverW)}).`,
  scatterNotReached: (gapText: string, ratio: number, window: number, s: Shortfall) =>
    `The drift over the memory span ${gapText} never stayed at or below ${ratio === 1 ? '' : `${fmt(ratio)}x `}the probe's within-class scatter W with the classes separated (B > W) ` +
    `for ${window} consecutive snapshot${window === 1 ? '' : 's'}` +
    (s.lastValue === null
      ? ': no snapshot was evaluated.'
      : `: at the last snapshot, iteration ${s.lastIteration}, D/W = ${fmt(s.lastValue)} and B/W = ${fmt(s.separation ?? NaN)}` +
        (s.best ? ` (lowest D/W ${fmt(s.best.value)} at iteration ${s.best.iteration})` : '') +
        (s.unmeasured ? `; ${s.unmeasured} snapshot${s.unmeasured === 1 ? '' : 's'} had no scatter_within/scatter_between (recompute drift.csv with \`xbm-drift drift <run>\`).` : '.')),
  trialDerivation: (ratio: number, isDefault: boolean) =>
    `D(t; S) < ${fmt(ratio)} x P(t), the probe's mean squared distance between two different samples: a stored entry is then closer to its own sample's current embedding ` +
    `than two samples are to each other, so the memory still identifies its samples; labels are not read, so any number of classes works` +
    (isDefault ? ` (ratio ${fmt(ratio)}: the principle itself, not fitted to any run)` : ` (ratio ${fmt(ratio)}, given)`),
  trialFired: (start: number, gapText: string, ratio: number, drift: number, spread: number) =>
    `The drift over the memory span ${gapText} was ${fmt(drift)}, below ${ratio === 1 ? '' : `${fmt(ratio)}x `}the probe's spread P = ${fmt(spread)} (D/P = ${fmt(drift / spread)}), ` +
    `so XBM starts on trial at iteration ${start}; while training, its loss is paused whenever the memory loss explodes, and retried with back-off.`,
  trialNotReached: (gapText: string, ratio: number, window: number, s: Shortfall) =>
    `The drift over the memory span ${gapText} never stayed below ${ratio === 1 ? '' : `${fmt(ratio)}x `}the probe's spread P for ${window} consecutive snapshot${window === 1 ? '' : 's'}` +
    (s.lastValue === null
      ? ': no snapshot was evaluated.'
      : `: at the last snapshot, iteration ${s.lastIteration}, D/P = ${fmt(s.lastValue)}` +
        (s.best ? ` (lowest ${fmt(s.best.value)} at iteration ${s.best.iteration})` : '') +
        (s.unmeasured ? `; ${s.unmeasured} snapshot${s.unmeasured === 1 ? '' : 's'} had no probe_spread (recompute drift.csv with \`xbm-drift drift <run>\`).` : '.')),
  trialLossPause: (iteration: number, loss: number, reference: number, factor: number) =>
    `the memory loss ${fmt(loss)} at iteration ${iteration} exceeded ${factor}x its reference ${fmt(reference)}`,
  trialNonFinite: (iteration: number, loss: number) => `the memory loss became ${loss} at iteration ${iteration}`,
  trialPause: (why: string, pauses: number, length: number, resumeAt: number) =>
    `Trial paused the memory loss (pause ${pauses}): ${why}; it retries after ${length} steps, at iteration ${resumeAt}.`,
  trialResume: (iteration: number, pauses: number) => `Trial resumed the memory loss at iteration ${iteration} (after pause ${pauses}).`,
  plateauFired: (start: number, gapText: string, r: number, w: number, level: number, driftThreshold: number) =>
    `The drift curve ${gapText} changed by at most ${pct(r)} over ${w} snapshots ending at iteration ${start}, so XBM can start there; ` +
    `its level ${fmt(level)} is ${level <= driftThreshold ? 'within' : `${fmt(level / driftThreshold)}x`} the margin-derived threshold ${fmt(driftThreshold)}.`,
  plateauNotReached: (gapText: string, r: number, w: number, s: Shortfall) =>
    `The drift curve ${gapText} never changed by at most ${pct(r)} over ${w} snapshots` +
    (s.lastValue === null
      ? `: only ${s.consecutive} snapshot${s.consecutive === 1 ? '' : 's'} so far.`
      : `: the last window, ending at iteration ${s.lastIteration}, changed by ${pct(s.lastValue)}${times(s.ratio)}.`),
  fixedReason: (start: number, gapText: string, at: { iteration: number; drift: number } | null, driftThreshold: number) =>
    `XBM starts at the fixed iteration ${start}, as configured; ` +
    (at === null
      ? `no drift ${gapText} was measured before it.`
      : `${gapText} was ${fmt(at.drift)} at iteration ${at.iteration}, the last snapshot before it, ${fmt(at.drift / driftThreshold)}x the margin-derived threshold ${fmt(driftThreshold)}.`),

  // guard
  guardOutOfRange: (key: string, value: number, range: string) => `The XBM guard ${key} must be ${range}, got ${value}.`,
  guardPause: (iteration: number, drift: number, bound: number, n: number) =>
    `Paused XBM at iteration ${iteration}: D(t; S) = ${fmt(drift)} exceeded the pause bound ${fmt(bound)} for ${n} consecutive observation${n === 1 ? '' : 's'}.`,
  guardResume: (iteration: number, drift: number, bound: number, n: number) =>
    `Resumed XBM at iteration ${iteration}: D(t; S) = ${fmt(drift)} stayed at or below the threshold ${fmt(bound)} for ${n} consecutive observation${n === 1 ? '' : 's'}.`,

  // collapse
  memoryLossNonFinite: (iteration: number, loss: number) => `The memory loss became ${loss} at iteration ${iteration}.`,
  memoryLossAbsolute: (iteration: number, loss: number, bound: number, perPair: number) =>
    `The memory loss ${fmt(loss)} at iteration ${iteration} exceeds ${fmt(bound)}, ${perPair} per batch-vs-memory pair per anchor: the memory's negatives score like positives.`,
  memoryLossRelative: (iteration: number, loss: number, reference: number, factor: number) =>
    `The memory loss ${fmt(loss)} at iteration ${iteration} is ${fmt(loss / reference)}x its value ${fmt(reference)} right after the XBM start (limit ${factor}x).`,
  driftNearMax: (iteration: number, gap: number, drift: number, limit: number) =>
    `Drift D(t; ${gap}) = ${fmt(drift)} at iteration ${iteration} is above ${limit} (4 is the maximum for unit vectors): the features are being rewritten.`,
  recallDrop: (iteration: number, recall: number, reference: number, fraction: number) =>
    `Test Recall@1 ${fmt(recall)} at iteration ${iteration} fell below ${pct(fraction)} of its value ${fmt(reference)} at the XBM start.`,

  // warmup command
  missingContext: (flag: string, field: string) =>
    `Give ${flag}: the run's config.json has no ${field}.`,
  badContextFlag: (flag: string, value: string) => `${flag} must be a positive integer, got '${value}'.`,
  badSizeList: (value: string) => `--memory-sizes must be a comma-separated list of positive integers, e.g. 1000,3000,10000; got '${value}'.`,
  flagNotForPolicy: (flag: string, policy: string, readers: readonly string[]) =>
    `${flag} does not apply to the ${policy} policy (only ${readers.join(', ')} read${readers.length === 1 ? 's' : ''} it): drop ${flag}, or choose --policy ${readers.join(' or ')}.`,
  repeatedPolicyParameter: (policy: string, key: string) =>
    `The ${policy} policy's ${key} is given twice: give it once (a second value would silently replace the first).`,
  badConfigJson: (path: string, reason: string) => `Cannot read ${path}: ${reason}.`,
  badDriftCsv: (path: string, missing: string) => `${path} is not a drift table: it has no '${missing}' column.`,
  adviceNeedsStart: 'memory sizes: skipped, the policy gave no start iteration to measure from',

  // warmup command output, one line each
  outStart: (start: number) => `start: iteration ${start}`,
  outNotReached: (policy: string, s: Shortfall & { target: number; excess: number | null }) =>
    s.lastValue === null
      ? `start: not reached; no full window of ${s.window} snapshots evaluated yet`
      : policy === 'scatter'
        ? `start: not reached; at iteration ${s.lastIteration} D/W = ${fmt(s.lastValue)} (must be <= ${fmt(s.target)}) and B/W = ${fmt(s.separation ?? NaN)} (must exceed 1), ` +
          `${s.consecutive} of ${s.window} consecutive snapshots meet both`
      : policy === 'trial'
        ? `start: not reached; at iteration ${s.lastIteration} D/P = ${fmt(s.lastValue)} (must be < ${fmt(s.target)}), ${s.consecutive} of ${s.window} consecutive snapshots meet it`
      : policy === 'plateau'
        ? `start: not reached; the last window, ending at iteration ${s.lastIteration}, changed by ${pct(s.lastValue)}, ${fmt(s.ratio!)}x the target ${pct(s.target)}`
        : `start: not reached; the last drift ${fmt(s.lastValue)} at iteration ${s.lastIteration} is ${fmt(s.ratio!)}x the target ${fmt(s.target)}` +
          ` (${fmt(s.excess!)} above it), ${s.consecutive} of ${s.window} consecutive snapshots meet it`,
  outPolicy: (policy: string, parameters: Record<string, number | string>) =>
    `policy: ${policy} (${Object.entries(parameters).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join(', ')})`,
  outSpan: (m: number, b: number, span: number, gap: number, used: readonly number[]) =>
    `memory span: S = ceil(${m} / ${b}) = ${span} iterations; drift needed at gap ${gap}` +
    (used.some((g) => g !== gap) ? `, read at measured gap ${list(used)}` : ''),
  outThreshold: (threshold: number | null, derivation: string) =>
    threshold === null ? `threshold: ${derivation}` : `threshold: ${fmt(threshold)}: ${derivation}`,
  outDriftThreshold: (derivation: string) => `drift threshold for comparison: ${derivation}`,
  outDrift: (points: readonly { iteration: number; drift: number }[], shown: number) =>
    `drift used (iteration: D): ` +
    (points.length === 0 ? 'none' : points.slice(-shown).map((p) => `${p.iteration}: ${fmt(p.drift)}`).join(', ')) +
    (points.length > shown ? ` (${points.length - shown} earlier values in warmup.json)` : ''),
  outReason: (reason: string) => `reason: ${reason}`,
  outAdvice: (rows: readonly { memorySize: number; span: number; drift: number | null; ok: boolean }[], largestOk: number | null, threshold: number) =>
    `memory sizes (D over S after the start vs ${fmt(threshold)}): ` +
    rows.map((r) => `M=${r.memorySize} S=${r.span} ` + (r.drift === null ? 'not measured' : `D=${fmt(r.drift)} ${r.ok ? 'ok' : 'too stale'}`)).join('; ') +
    `; largest ok: ${largestOk ?? 'none'}`,
  outWrote: (path: string) => `wrote ${path}`,
} as const;
