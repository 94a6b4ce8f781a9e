// A strict parser of the YAML subset `sweep --k8s` writes: block mappings and sequences (also
// "- key: value" items), scalars as JSON (double-quoted strings, numbers, booleans, [] and {}).
// Anything else throws, so a manifest outside the subset fails the test instead of parsing loosely.
type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  no: number;
}

export function parseYamlSubset(source: string): Yaml {
  const lines: Line[] = source
    .split('\n')
    .map((raw, i) => ({ raw, no: i + 1 }))
    .filter(({ raw }) => raw.trim() !== '' && !raw.trim().startsWith('#'))
    .map(({ raw, no }) => {
      if (/\t/.test(raw)) throw new Error(`line ${no}: tab`);
      const indent = raw.length - raw.trimStart().length;
      return { indent, text: raw.trim(), no };
    });
  let i = 0;
  const scalar = (text: string, no: number): Yaml => {
    try {
      return JSON.parse(text) as Yaml;
    } catch {
      throw new Error(`line ${no}: not a JSON scalar: ${text}`);
    }
  };
  const block = (indent: number): Yaml => {
    if (i >= lines.length || lines[i].indent !== indent) throw new Error(`line ${lines[i]?.no ?? 'end'}: expected indent ${indent}`);
    return lines[i].text.startsWith('- ') || lines[i].text === '-' ? sequence(indent) : mapping(indent);
  };
  const sequence = (indent: number): Yaml[] => {
    const out: Yaml[] = [];
    while (i < lines.length && lines[i].indent === indent && (lines[i].text.startsWith('- ') || lines[i].text === '-')) {
      const line = lines[i];
      const rest = line.text === '-' ? '' : line.text.slice(2);
      if (rest === '') {
        i++;
        out.push(block(lines[i]?.indent ?? -1));
      } else if (/^("[^"]*"|[A-Za-z0-9_./-]+):( |$)/.test(rest)) {
        // "- key: value": a mapping whose keys sit two columns right of the dash
        lines[i] = { indent: indent + 2, text: rest, no: line.no };
        out.push(mapping(indent + 2));
      } else {
        out.push(scalar(rest, line.no));
        i++;
      }
    }
    return out;
  };
  const mapping = (indent: number): { [k: string]: Yaml } => {
    const out: { [k: string]: Yaml } = {};
    while (i < lines.length && lines[i].indent === indent && !lines[i].text.startsWith('- ')) {
      const line = lines[i];
      const m = /^("[^"]*"|[A-Za-z0-9_./-]+):(?: (.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: not "key: value": ${line.text}`);
      const key = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
      if (key in out) throw new Error(`line ${line.no}: key ${key} repeated`);
      i++;
      if (m[2] !== undefined && m[2] !== '') out[key] = scalar(m[2], line.no);
      else {
        const next = lines[i];
        if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) throw new Error(`line ${line.no}: ${key} has no value`);
        out[key] = block(next.indent);
      }
    }
    return out;
  };
  const doc = block(0);
  if (i !== lines.length) throw new Error(`line ${lines[i].no}: unexpected indentation`);
  return doc;
}
