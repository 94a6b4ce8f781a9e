import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';
import { dataMessages } from '../messages/data.js';

/** Bytes read from each end of a file: enough for every signature and PNG's closing chunk. */
const HEAD = 16;
const TAIL = 64;

/** The image formats sharp decodes, told apart by their first bytes. */
const SIGNATURES: { format: string; matches: (head: Buffer) => boolean }[] = [
  { format: 'JPEG', matches: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  { format: 'PNG', matches: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { format: 'GIF', matches: (h) => h.toString('latin1', 0, 4) === 'GIF8' },
  { format: 'WebP', matches: (h) => h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WEBP' },
  { format: 'TIFF', matches: (h) => ['II*\0', 'MM\0*'].includes(h.toString('latin1', 0, 4)) },
  { format: 'AVIF', matches: (h) => h.toString('latin1', 4, 8) === 'ftyp' },
];

/**
 * What is wrong with an image file, judged from a few bytes at each end (no decode), or null:
 * not an image format sharp reads, or a PNG or WebP cut short (PNG ends with its IEND chunk; WebP
 * states its length). A JPEG's end is not judged: many carry data after their end marker.
 */
export function imageFileProblem(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return 'a folder, not a file';
    const size = stat.size;
    if (size === 0) return 'an empty file';
    const head = Buffer.alloc(Math.min(HEAD, size));
    readSync(fd, head, 0, head.length, 0);
    const format = SIGNATURES.find((s) => s.matches(head))?.format;
    if (!format) return `not an image: its first bytes are no ${SIGNATURES.map((s) => s.format).join(', ')} signature`;
    if (format === 'PNG') {
      const tail = Buffer.alloc(Math.min(TAIL, size));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      if (!tail.includes('IEND', 0, 'latin1')) return 'a truncated PNG: it does not end with the IEND chunk';
    }
    if (format === 'WebP' && head.length >= 8 && head.readUInt32LE(4) + 8 > size) return `a truncated WebP: ${size} of ${head.readUInt32LE(4) + 8} bytes`;
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every image a dataset will decode, checked before anything trains: a file that is no image or
 * is cut short would otherwise stop training at the batch that first draws it, leaving a failed run.
 */
export function checkImageFiles(paths: readonly string[]): void {
  let bad = 0;
  let first: { path: string; problem: string } | null = null;
  for (const path of paths) {
    const problem = imageFileProblem(path);
    if (problem === null) continue;
    bad++;
    first ??= { path, problem };
  }
  if (first) throw new UserError(dataMessages.imagesUndecodable(bad, paths.length, first.path, first.problem));
}
