import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { ioMessages } from '../../messages/io.js';
import { writeJsonAtomic } from '../atomic-write.js';
import { obj, type Json } from '../json-values.js';

/**
 * The shared machinery of the run-folder JSON formats (run.json, analysis/warmup.json, sweep.json):
 * read a file, check it field by field, and say in one line which file is wrong, what is wrong
 * and which command writes it again. Writes are atomic (temporary name, then rename).
 */
export interface JsonFormat {
  /** What the file is, for messages: 'run record'. */
  what: string;
  /** The command that writes it, for messages: '`xbm-drift train`'. */
  writer: string;
  /** The schema version this code reads and writes. */
  schemaVersion: number;
}

/** A file's parsed JSON; null when it does not exist. Invalid or truncated JSON is a one-line UserError. */
export function readJsonFile(path: string, format: JsonFormat): unknown {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(ioMessages.unreadableFile(path, firstLine((e as Error).message)));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(ioMessages.badJson(path, firstLine((e as Error).message), format.writer));
  }
}

export function writeJsonFile(path: string, value: unknown): void {
  writeJsonAtomic(path, value);
}

const firstLine = (s: string) => s.split('\n')[0];

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/**
 * Checks the fields of one parsed file. `need` throws on a missing or mistyped field; `maybe`
 * accepts an absent (or null) field. Field names in messages are dotted paths: `xbm.start`.
 */
export class FieldCheck {
  constructor(
    readonly path: string,
    readonly format: JsonFormat,
  ) {}

  /** The top-level object with a supported schemaVersion. */
  root(value: unknown, versionKey = 'schemaVersion'): Json {
    const o = obj(value);
    if (!o) throw new UserError(ioMessages.notJsonObject(this.path, this.format.what, this.format.writer));
    const v = o[versionKey];
    if (v === undefined) throw new UserError(ioMessages.missingField(this.path, versionKey, this.format.what, this.format.writer));
    if (v !== this.format.schemaVersion)
      throw new UserError(ioMessages.unsupportedSchemaVersion(this.path, JSON.stringify(v), String(this.format.schemaVersion)));
    return o;
  }

  need(o: Json, key: string, kind: Kind, at = ''): unknown {
    const v = o[key];
    if (v === undefined) throw new UserError(ioMessages.missingField(this.path, at + key, this.format.what, this.format.writer));
    return this.typed(v, key, kind, at);
  }

  /** A field that may be absent or null (then undefined is returned). */
  maybe(o: Json, key: string, kind: Kind, at = ''): unknown {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.typed(v, key, kind, at);
  }

  /** A field that must be present and may be null (then null is returned). */
  nullable(o: Json, key: string, kind: Kind, at = ''): unknown {
    const v = o[key];
    if (v === undefined) throw new UserError(ioMessages.missingField(this.path, at + key, this.format.what, this.format.writer));
    return v === null ? null : this.typed(v, key, kind, at);
  }

  /** A number that JSON stored as null because it was NaN (the writers write NaN and Infinity as null). */
  numberOrNaN(o: Json, key: string, at = ''): number {
    const v = o[key];
    if (v === undefined) throw new UserError(ioMessages.missingField(this.path, at + key, this.format.what, this.format.writer));
    return v === null ? NaN : (this.typed(v, key, 'number', at) as number);
  }

  oneOf<T extends string>(o: Json, key: string, values: readonly T[], at = ''): T {
    const v = this.need(o, key, 'string', at) as string;
    if (!values.includes(v as T)) throw new UserError(ioMessages.badField(this.path, at + key, `one of ${values.join(', ')}`, JSON.stringify(v)));
    return v as T;
  }

  /** A value already in hand (a list item), checked and named `field` in messages. */
  value(v: unknown, field: string, kind: Kind): unknown {
    return this.typed(v, field, kind, '');
  }

  private typed(v: unknown, key: string, kind: Kind, at: string): unknown {
    const ok =
      kind === 'object' ? obj(v) !== undefined : kind === 'array' ? Array.isArray(v) : typeof v === kind && (kind !== 'number' || !Number.isNaN(v));
    if (!ok) throw new UserError(ioMessages.badField(this.path, at + key, kind === 'object' ? 'an object' : kind === 'array' ? 'a list' : `a ${kind}`, JSON.stringify(v) ?? String(v)));
    return v;
  }
}
