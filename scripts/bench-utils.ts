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
