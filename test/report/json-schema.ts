/**
 * A small JSON Schema (draft-07) validator for the Vega-Lite schema, so the tests need no new
 * package. It implements every keyword that node_modules/vega-lite/build/vega-lite-schema.json
 * uses (and a few neighbours) and throws on any other keyword, so a schema it cannot check fully
 * fails loudly instead of passing silently. `format` is an annotation here, as in ajv without
 * ajv-formats.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Schema = boolean | Record<string, unknown>;

export interface SchemaError {
  path: string;
  message: string;
}

const ANNOTATIONS = new Set(['$schema', '$id', 'definitions', 'description', 'title', 'default', 'examples', 'format', '$comment']);
const KEYWORDS = new Set([
  '$ref', 'type', 'anyOf', 'allOf', 'oneOf', 'not', 'enum', 'const', 'properties', 'additionalProperties',
  'patternProperties', 'required', 'items', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'minProperties', 'maxProperties',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return typeOf(v) === 'object';
    default:
      return typeOf(v) === t;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeOf(a) !== typeOf(b) || typeof a !== 'object' || a === null) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export class JsonSchemaValidator {
  constructor(private readonly root: Record<string, unknown>) {}

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let cur: unknown = this.root;
    for (const part of ref.slice(2).split('/')) cur = (cur as Record<string, unknown>)[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
    if (cur === undefined) throw new Error(`unresolved $ref ${ref}`);
    return cur as Schema;
  }

  validate(value: unknown, schema: Schema = this.root, path = ''): SchemaError[] {
    if (schema === true) return [];
    if (schema === false) return [{ path, message: 'no value is allowed here' }];
    const errors: SchemaError[] = [];
    const err = (message: string, at = path) => errors.push({ path: at || '/', message });
    for (const k of Object.keys(schema)) if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`unsupported schema keyword "${k}" at ${path}`);

    if (schema.$ref !== undefined) errors.push(...this.validate(value, this.resolve(schema.$ref as string), path));
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => hasType(value, t))) {
        err(`expected ${types.join(' or ')}, got ${typeOf(value)}`);
        return errors;
      }
    }
    if (schema.enum !== undefined && !(schema.enum as unknown[]).some((e) => deepEqual(e, value)))
      err(`expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`);
    if (schema.const !== undefined && !deepEqual(schema.const, value)) err(`expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
    if (schema.anyOf !== undefined) {
      const branches = (schema.anyOf as Schema[]).map((s) => this.validate(value, s, path));
      if (!branches.some((b) => b.length === 0)) errors.push(...bestBranch(branches, path));
    }
    if (schema.oneOf !== undefined) {
      const branches = (schema.oneOf as Schema[]).map((s) => this.validate(value, s, path));
      const ok = branches.filter((b) => b.length === 0).length;
      if (ok === 0) errors.push(...bestBranch(branches, path));
      else if (ok > 1) err(`matches ${ok} oneOf branches`);
    }
    if (schema.allOf !== undefined) for (const s of schema.allOf as Schema[]) errors.push(...this.validate(value, s, path));
    if (schema.not !== undefined && this.validate(value, schema.not as Schema, path).length === 0) err('matches a schema it must not');

    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum) err(`${value} < minimum ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && value > schema.maximum) err(`${value} > maximum ${schema.maximum}`);
      if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) err(`${value} <= exclusiveMinimum ${schema.exclusiveMinimum}`);
      if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) err(`${value} >= exclusiveMaximum ${schema.exclusiveMaximum}`);
      if (typeof schema.multipleOf === 'number' && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) err(`${value} is not a multiple of ${schema.multipleOf}`);
    }
    if (typeof value === 'string') {
      const n = [...value].length;
      if (typeof schema.minLength === 'number' && n < schema.minLength) err(`shorter than ${schema.minLength}`);
      if (typeof schema.maxLength === 'number' && n > schema.maxLength) err(`longer than ${schema.maxLength}`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) err(`does not match ${schema.pattern}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) err(`fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) err(`more than ${schema.maxItems} items`);
      if (schema.uniqueItems === true && value.some((v, i) => value.findIndex((w) => deepEqual(v, w)) !== i)) err('items are not unique');
      if (Array.isArray(schema.items)) {
        const tuple = schema.items as Schema[];
        value.forEach((v, i) => {
          if (i < tuple.length) errors.push(...this.validate(v, tuple[i], `${path}/${i}`));
          else if (schema.additionalItems !== undefined) errors.push(...this.validate(v, schema.additionalItems as Schema, `${path}/${i}`));
        });
      } else if (schema.items !== undefined) value.forEach((v, i) => errors.push(...this.validate(v, schema.items as Schema, `${path}/${i}`)));
    }
    if (typeOf(value) === 'object') {
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o);
      if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) err(`fewer than ${schema.minProperties} properties`);
      if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) err(`more than ${schema.maxProperties} properties`);
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in o)) err(`missing required property "${r}"`);
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      const patterns = Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {}).map(([p, s]) => [new RegExp(p, 'u'), s] as const);
      for (const k of keys) {
        let matched = false;
        if (k in props) {
          matched = true;
          errors.push(...this.validate(o[k], props[k], `${path}/${k}`));
        }
        for (const [re, s] of patterns)
          if (re.test(k)) {
            matched = true;
            errors.push(...this.validate(o[k], s, `${path}/${k}`));
          }
        if (!matched && schema.additionalProperties !== undefined) {
          if (schema.additionalProperties === false) err(`unknown property "${k}"`, `${path}/${k}`);
          else errors.push(...this.validate(o[k], schema.additionalProperties as Schema, `${path}/${k}`));
        }
      }
    }
    return errors;
  }
}

/** Of the failed branches of an anyOf, the one that got furthest into the value explains best. */
function bestBranch(branches: SchemaError[][], path: string): SchemaError[] {
  const depth = (b: SchemaError[]) => Math.max(...b.map((e) => e.path.split('/').length));
  const best = [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
  return depth(best) > path.split('/').length ? best : [{ path: path || '/', message: 'matches no allowed form' }];
}

let cached: JsonSchemaValidator | undefined;

/** The validator for the Vega-Lite schema of the installed package. */
export function vegaLiteValidator(): JsonSchemaValidator {
  if (!cached) {
    const require = createRequire(import.meta.url);
    const schemaPath = join(dirname(require.resolve('vega-lite')), 'vega-lite-schema.json');
    cached = new JsonSchemaValidator(JSON.parse(readFileSync(schemaPath, 'utf8')));
  }
  return cached;
}

/** Errors of a spec against the Vega-Lite schema, as lines. */
export function vegaLiteErrors(spec: unknown): string[] {
  // The spec goes through JSON as it does in files: NaN becomes null, undefined disappears.
  const json = JSON.parse(JSON.stringify(spec));
  return vegaLiteValidator().validate(json).map((e) => `${e.path}: ${e.message}`);
}
