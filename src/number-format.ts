/** Number formats shared by the run and demo summaries (a dash for a missing value) and the messages. */

/** A time to 1 decimal, '-' when absent or NaN. */
export const f1 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(1));

/** A metric to 4 decimals, '-' when absent or NaN. */
export const f4 = (x: number | undefined | null) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(4));

/** 1536 -> '1.5 KiB', 2^40 -> '1 TiB'. */
export function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(3))} ${units[i]}`;
}
