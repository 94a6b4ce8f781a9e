/** Number formats shared by the run and demo summaries: a dash for a missing value. */

/** A time to 1 decimal, '-' when absent or NaN. */
export const f1 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(1));

/** A metric to 4 decimals, '-' when absent or NaN. */
export const f4 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(4));
