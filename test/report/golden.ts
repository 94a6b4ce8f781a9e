import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

const NUMBER = /-?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?/gi;
/** Attributes that hold names or colours, whose digits are not quantities. */
const VERBATIM = /^(id|class|fill|stroke|href|xlink:href|clip-path|font-family|role|aria-[\w-]+|xmlns(:\w+)?|version)$/;

function roundAll(text: string): string {
  return text.replace(NUMBER, (m) => {
    // Integers stay as written ("1,024" must not become "1,24").
    if (!/[.e]/i.test(m)) return m;
    const r = Math.round(Number(m) * 100) / 100;
    return String(Object.is(r, -0) ? 0 : r);
  });
}

/**
 * Numbers rounded to 2 decimals, so float noise in the last digits does not count as a change:
 * in attribute values (path data, transforms, sizes) and text, not in ids, classes or colours.
 */
export function roundNumbers(svg: string): string {
  return svg.replace(/([\w:-]+)="([^"]*)"|>([^<]+)</g, (all, name: string | undefined, value: string | undefined, text: string | undefined) => {
    if (text !== undefined) return `>${roundAll(text)}<`;
    return VERBATIM.test(name!) ? all : `${name}="${roundAll(value!)}"`;
  });
}

/**
 * Compare an SVG with test/golden/<name>.svg after rounding. On a mismatch the new rendering is
 * written next to it as <name>-changed.svg (open both to see the change); UPDATE_GOLDEN=1
 * rewrites the golden file instead. Returns null when equal, else a message.
 */
export function compareGolden(name: string, svg: string, update = process.env.UPDATE_GOLDEN === '1'): string | null {
  const golden = join(GOLDEN_DIR, `${name}.svg`);
  const changed = join(GOLDEN_DIR, `${name}-changed.svg`);
  const actual = roundNumbers(svg);
  if (update) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(golden, actual);
    rmSync(changed, { force: true });
    return null;
  }
  if (!existsSync(golden)) return `${golden} is missing: run the tests with UPDATE_GOLDEN=1 to create it.`;
  if (readFileSync(golden, 'utf8') === actual) {
    rmSync(changed, { force: true });
    return null;
  }
  writeFileSync(changed, actual);
  return `${name}.svg changed: compare ${golden} with ${changed}; if the change is intended, rerun with UPDATE_GOLDEN=1.`;
}
