/**
 * Progress for long loops: a redrawn bar with ETA on a terminal, plain log lines otherwise (CI,
 * files, pipes), and nothing when quiet. Writes to stderr so stdout stays for results.
 */
export class Progress {
  private readonly tty: boolean;
  private readonly started = Date.now();
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly opts: { quiet?: boolean; stream?: NodeJS.WriteStream; logEveryMs?: number; startAt?: number } = {},
  ) {
    this.tty = Boolean((opts.stream ?? process.stderr).isTTY);
  }

  private get stream() {
    return this.opts.stream ?? process.stderr;
  }

  update(done: number, detail = ''): void {
    if (this.opts.quiet) return;
    const now = Date.now();
    const fresh = done - (this.opts.startAt ?? 0);
    const rate = fresh > 0 ? (now - this.started) / fresh : NaN;
    const eta = Number.isFinite(rate) ? formatDuration(((this.total - done) * rate) / 1000) : '?';
    if (this.tty) {
      if (now - this.lastLine < 100 && done < this.total) return;
      const width = 24;
      const filled = Math.round((width * done) / Math.max(1, this.total));
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      this.stream.write(`\r${this.label} [${bar}] ${done}/${this.total} ETA ${eta} ${detail}`.slice(0, (this.stream.columns || 120) - 1).padEnd(Math.min(119, (this.stream.columns || 120) - 1)));
      this.drawn = true;
    } else if (now - this.lastLine >= (this.opts.logEveryMs ?? 10_000) || done === this.total) {
      this.stream.write(`${this.label} ${done}/${this.total} ETA ${eta} ${detail}\n`);
    } else return;
    this.lastLine = now;
  }

  /** A message that must not be overwritten by the bar. */
  log(line: string): void {
    if (this.opts.quiet) return;
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(line + '\n');
    this.drawn = false;
  }

  done(): void {
    if (!this.opts.quiet && this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
