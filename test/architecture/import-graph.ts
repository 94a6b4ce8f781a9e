import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The import graph of a source tree, read with TypeScript's parser (no bundler, no madge): every
 * static import and re-export, `import type`, `import()` calls and `import('...')` types. Only
 * relative specifiers are followed; `./x.js` resolves to `./x.ts`, as NodeNext writes them.
 * Keys and targets are paths relative to the root, with '/' separators.
 */
export type ImportGraph = Map<string, Set<string>>;

export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/** The module specifiers one file imports, in any of the forms above. */
export function importSpecifiers(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) specs.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specs.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      specs.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs;
}

/** `./x.js` -> `./x.ts` (or `./x/index.ts`); null for a package import or a file that does not exist. */
export function resolveRelative(fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c)) ?? null;
}

export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  for (const file of sourceFiles(root)) {
    const targets = new Set<string>();
    for (const spec of importSpecifiers(file, readFileSync(file, 'utf8'))) {
      const target = resolveRelative(file, spec);
      if (target !== null) targets.add(rel(target));
    }
    graph.set(rel(file), targets);
  }
  return graph;
}

/**
 * Every circle, one per strongly connected component (Tarjan), each shown as a path that closes on
 * its first file: a -> b -> a. A file importing itself is a circle too.
 */
export function importCycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) components.push(comp);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return components.map((comp) => cycleWithin(graph, new Set(comp)));
}

/** One concrete circle inside a strongly connected component: breadth-first from its first file back to it. */
function cycleWithin(graph: ImportGraph, comp: Set<string>): string[] {
  const start = [...comp].sort()[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0])!);
        return [...path, start];
      }
      if (!prev.has(w) && w !== start) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The layer of a file (a path relative to the root): its rank in `layers` and its name; undefined when unplaced. */
export function layerOf(layers: readonly (readonly string[])[], file: string): { rank: number; name: string } | undefined {
  const top = file.split('/')[0];
  for (const [rank, names] of layers.entries()) if (names.includes(top)) return { rank, name: top };
  return undefined;
}

/** Every import that goes up a layer or across to a sibling, as 'from -> to (why)', sorted. */
export function layerViolations(graph: ImportGraph, layers: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(layers, from);
    for (const to of targets) {
      const b = layerOf(layers, to);
      if (!a || !b || a.name === b.name) continue;
      if (b.rank > a.rank) out.push(`${from} -> ${to} (${a.name} imports ${b.name}, a higher layer)`);
      else if (b.rank === a.rank) out.push(`${from} -> ${to} (${a.name} imports its sibling ${b.name})`);
    }
  }
  return out.sort();
}
