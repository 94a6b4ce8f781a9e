import type { DefaultApplied } from '../io/formats/run-record.js';

/** Where a default comes from when nothing more specific is said: the table in train-config.ts. */
export const DEFAULTS_SOURCE = 'DEFAULTS in src/config/train-config.ts (docs/training.md "Defaults, and why")';

/**
 * The defaults a resolution applied, each with where it came from: config.json and run.json record
 * them (`defaultsApplied`), so a reader sees which numbers nobody chose and why they are what they are.
 */
export class AppliedDefaults {
  readonly list: DefaultApplied[] = [];

  /** `given` when the flag was given, else `value`, recorded with its source. `flag` as the CLI spells it, without dashes. */
  take<T>(flag: string, given: T | undefined, value: T, source: string = DEFAULTS_SOURCE): T {
    if (given !== undefined) return given;
    this.list.push({ flag: flag.replace(/^--/, ''), value, source });
    return value;
  }
}
