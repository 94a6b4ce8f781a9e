/** Shared helpers of the benchmark scripts: flags, quantiles, wall and CPU timing. */

/** The value after --name on the command line, or the default. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/**
 * Median wall and CPU (user + system, all threads) milliseconds of fn over `repeats` calls. Other
 * work on a shared 2-core machine inflates wall time; CPU time shows what the code itself costs.
 */
export function timeMs(fn: () => unknown, repeats: number, opts: { warmup?: boolean } = {}): { wall: number; cpu: number } {
  if (opts.warmup) fn(); // kernel compilation, wasm memory growth
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** timeMs for an async fn: each call is awaited before the clock stops. */
export async function timeMsAsync(fn: () => Promise<unknown>, repeats: number, opts: { warmup?: boolean } = {}): Promise<{ wall: number; cpu: number }> {
  if (opts.warmup) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** A ratio to PyTorch is only meaningful idle: above this 1-minute load average at the start, none is printed. */
export const IDLE_LOAD_LIMIT = 0.5;

export interface LoadGuard {
  /** print ratios (ours / PyTorch) */
  ratios: boolean;
  /** the machine was busy at the start (the table is then marked, or its ratios withheld) */
  busy: boolean;
  /** one line for the table's heading */
  line: string;
}

/**
 * Whether ratios to PyTorch may be printed, from the 1-minute load average at the start: idle
 * (<= limit) yes; busy, only with --allow-busy, and then the table says "measured busy".
 */
export function loadGuard(loadAtStart: number, allowBusy: boolean, limit = IDLE_LOAD_LIMIT): LoadGuard {
  const load = loadAtStart.toFixed(2);
  if (loadAtStart <= limit) return { ratios: true, busy: false, line: `measured idle (1-minute load average at start ${load} <= ${limit})` };
  if (allowBusy) {
    return { ratios: true, busy: true, line: `measured busy (1-minute load average at start ${load} > ${limit}, --allow-busy): ratios to PyTorch are not comparable` };
  }
  return {
    ratios: false, busy: true,
    line: `ratios to PyTorch withheld: 1-minute load average at start ${load} > ${limit}; rerun on an idle machine, or pass --allow-busy to print them marked "measured busy"`,
  };
}

/** The 1/5/15-minute load averages as "0.12 0.30 0.41". */
export function formatLoad(averages: readonly number[]): string {
  return averages.map((x) => x.toFixed(2)).join(' ');
}
