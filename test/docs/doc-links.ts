import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Checks the documentation a newcomer reads: README.md and every docs/*.md. Every relative link
 * (a file, a folder, or a `#heading` in a Markdown file) must resolve, every repository path it
 * names in code (`src/io/csv.ts`) must exist, every docs page must be
 * reachable from the README by following links and open with its title and what it covers, and the
 * README must stay short.
 */

export const README_MAX_LINES = 300;

/** The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image keeps its text
    .replace(/`([^`]*)`/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
}

/** The lines outside fenced code blocks (``` or ~~~), with their numbers. */
function proseLines(markdown: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((line, i) => {
    const m = /^\s*(```|~~~)/.exec(line);
    if (m) {
      if (fence === null) fence = m[1];
      else if (m[1] === fence) fence = null;
      return;
    }
    if (fence === null) out.push({ line, n: i + 1 });
  });
  return out;
}

/** Every anchor a Markdown file defines, numbered as GitHub numbers repeated headings (x, x-1, x-2). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = headingSlug(m[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

export interface DocLink {
  target: string;
  line: number;
}

/** The relative links of a Markdown file ([text](target) and images), outside code; web and mail links left out. */
export function relativeLinks(markdown: string): DocLink[] {
  const links: DocLink[] = [];
  for (const { line, n } of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      links.push({ target, line: n });
    }
  }
  return links;
}

/** Repository paths written in code spans (`src/io/csv.ts`), outside code blocks; patterns (`<name>`, `*`) left out. */
export function pathMentions(markdown: string): DocLink[] {
  const out: DocLink[] = [];
  for (const { line, n } of proseLines(markdown)) {
    for (const m of line.matchAll(/`((?:src|test|scripts|python|data|docs|notebooks|bin|\.ci)\/[^`\s]*)`/g)) {
      if (!/[<>*{}]|\.\.\./.test(m[1])) out.push({ target: m[1], line: n });
    }
  }
  return out;
}

/** The folders .gitignore names (`runs/`, `data/cache/`): what the program makes at run time, so absent from a checkout. */
function ignoredFolders(root: string): string[] {
  const path = join(root, '.gitignore');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim().replace(/^\//, '')).filter((l) => l.endsWith('/') && !/[*!#]/.test(l));
}

/** README.md and docs/*.md, as paths relative to the root. */
export function docFiles(root: string): string[] {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...docs];
}

/** Every problem with the documentation under root, one line each; empty when all is well. */
export function checkDocs(root: string): string[] {
  const problems: string[] = [];
  const files = docFiles(root);
  const text = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (abs: string) => {
    if (!anchorCache.has(abs)) anchorCache.set(abs, headingAnchors(readFileSync(abs, 'utf8')));
    return anchorCache.get(abs)!;
  };
  const rel = (abs: string) => relative(root, abs).split(sep).join('/');
  const linkedPages = new Map<string, Set<string>>();
  const ignored = ignoredFolders(root);

  for (const file of files) {
    const out = new Set<string>();
    linkedPages.set(file, out);
    for (const { target, line } of relativeLinks(text.get(file)!)) {
      const where = `${file}:${line}: ${target}`;
      const hash = target.indexOf('#');
      const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const abs = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
      if (!existsSync(abs)) {
        problems.push(`${where}: no file ${rel(abs)}`);
        continue;
      }
      if (anchor !== null) {
        if (statSync(abs).isDirectory() || !abs.endsWith('.md')) problems.push(`${where}: an anchor into a file that is not Markdown`);
        else if (!anchorsOf(abs).has(anchor)) problems.push(`${where}: ${rel(abs)} has no heading #${anchor}`);
      }
      if (abs.endsWith('.md')) out.add(rel(abs));
    }
    for (const { target, line } of pathMentions(text.get(file)!)) {
      if (!existsSync(join(root, target)) && !ignored.some((dir) => `${target}/`.startsWith(dir))) {
        problems.push(`${file}:${line}: names ${target}, which does not exist`);
      }
    }
  }

  const reached = new Set(['README.md']);
  const queue = ['README.md'];
  while (queue.length > 0) {
    for (const next of linkedPages.get(queue.shift()!) ?? []) {
      if (!reached.has(next) && linkedPages.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  for (const file of files) if (!reached.has(file)) problems.push(`${file}: not linked from README.md, directly or through a page it links`);
  for (const file of files.filter((f) => f !== 'README.md')) {
    const [title, blank, first] = text.get(file)!.split('\n');
    if (!/^# \S/.test(title) || blank !== '' || !/^[^#\s|`-]/.test(first ?? '')) {
      problems.push(`${file}: does not start with a title (# ...), a blank line and a sentence saying what the page covers`);
    }
  }

  const lines = text.get('README.md')!.split('\n').length - (text.get('README.md')!.endsWith('\n') ? 1 : 0);
  if (lines >= README_MAX_LINES) problems.push(`README.md: ${lines} lines, at most ${README_MAX_LINES - 1} (move detail into docs/)`);
  return problems;
}
