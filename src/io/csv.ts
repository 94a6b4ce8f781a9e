import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parseString, writeToString } from 'fast-csv';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';
import { writeFileAtomic } from './atomic-write.js';

// Any object: interfaces such as MetricsRow have no index signature.
type Row = object;

function formatCell(v: unknown): unknown {
  // Full precision for numbers; NaN stays "NaN" so readers can tell "not measured" from 0.
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

async function format(columns: readonly string[], rows: readonly Row[], headers: boolean): Promise<string> {
  const data = rows.map((r) => columns.map((c) => formatCell((r as Record<string, unknown>)[c])));
  // fast-csv writes no header for zero rows; a header-only file is still a valid table.
  if (data.length === 0) return headers ? columns.join(',') + '\n' : '';
  return writeToString(data, { headers: headers ? [...columns] : false, includeEndRowDelimiter: true });
}

/** Write a whole table at once, atomically. */
export async function writeCsv(path: string, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  writeFileAtomic(path, await format(columns, rows, true));
}

/**
 * Appends rows to a CSV that grows during a run (metrics.csv, eval.csv). Each append is one
 * synchronous write, so a crash or Ctrl-C never leaves a half row behind in the buffer.
 */
export class CsvAppender {
  constructor(readonly path: string, readonly columns: readonly string[]) {}

  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const fresh = !existsSync(this.path);
    appendFileSync(this.path, await format(this.columns, rows, fresh));
  }
}

/**
 * Parse a CSV into rows of strings keyed by header. A file the parser rejects (an unclosed quote,
 * a row with more cells than the header) is a one-line UserError naming it, never fast-csv's stack.
 */
export async function readCsvRaw(path: string): Promise<Record<string, string>[]> {
  const text = readFileSync(path, 'utf8');
  return new Promise((resolve, reject) => {
    const rows: Record<string, string>[] = [];
    parseString(text, { headers: true })
      .on('error', (e: Error) => reject(new UserError(ioMessages.badTable(path, `${e.message.split('\n')[0]} after ${rows.length} good row(s)`))))
      .on('data', (r: Record<string, string>) => rows.push(r))
      .on('end', () => resolve(rows));
  });
}

/** Parse a CSV, turning numeric cells (including NaN and +-Infinity) into numbers. */
export async function readCsv<T extends object>(path: string): Promise<T[]> {
  const raw = await readCsvRaw(path);
  return raw.map((r) => {
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(r)) out[k] = toNumberOrString(v);
    return out as T;
  });
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?Infinity$|^NaN$/;
function toNumberOrString(v: string): string | number {
  return NUMERIC.test(v) ? Number(v) : v;
}
