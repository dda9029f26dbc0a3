/**
 * Compatibility of JSON Schemas (the subset zod emits: type, properties, required, anyOf for nullable,
 * enum, items, additionalProperties). "reader reads writer" is checked field by field, and each problem
 * names the field. farebox's policy adds one rule in every mode but NONE: a required field may not be
 * removed, because the models and syncs downstream rely on required fields.
 */
import type { CompatibilityLevel, CompatibilityResult } from '../types.ts';
import { scopeOf } from './levels.ts';

type Schema = Record<string, unknown>;
type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array';

const asSchema = (v: unknown): Schema => (typeof v === 'object' && v !== null ? (v as Schema) : {});
const props = (s: Schema): Record<string, Schema> => asSchema(s.properties) as Record<string, Schema>;
const required = (s: Schema): string[] => (Array.isArray(s.required) ? (s.required as string[]) : []);

/** The JSON types a schema admits; undefined means any. */
function typesOf(s: Schema): Set<JsonType> | undefined {
  if (typeof s.type === 'string') return new Set([s.type as JsonType]);
  if (Array.isArray(s.type)) return new Set(s.type as JsonType[]);
  const branches = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(branches)) {
    const out = new Set<JsonType>();
    for (const b of branches) {
      const t = typesOf(b);
      if (t === undefined) return undefined;
      for (const x of t) out.add(x);
    }
    return out;
  }
  if (Array.isArray(s.enum))
    return new Set(
      (s.enum as unknown[]).map((v) =>
        v === null ? 'null' : typeof v === 'number' ? 'number' : (typeof v as JsonType),
      ),
    );
  return undefined;
}

const describeTypes = (t: Set<JsonType> | undefined): string =>
  t === undefined ? 'any' : [...t].sort().join(' or ');

/** Does a reader admitting `reader` accept every value admitted by `writer`? */
function accepts(reader: Set<JsonType> | undefined, writer: Set<JsonType> | undefined): boolean {
  if (reader === undefined) return true;
  if (writer === undefined) return false;
  return [...writer].every((t) => reader.has(t) || (t === 'integer' && reader.has('number')));
}

/** The object branch of a schema (through a nullable anyOf), if any. */
function objectPart(s: Schema): Schema | undefined {
  if (s.properties !== undefined) return s;
  const branches = s.anyOf as Schema[] | undefined;
  return Array.isArray(branches) ? branches.find((b) => b.properties !== undefined) : undefined;
}

function enumOf(s: Schema): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum as unknown[];
  const branches = s.anyOf as Schema[] | undefined;
  return Array.isArray(branches)
    ? (branches.map(enumOf).find((e) => e !== undefined) ?? undefined)
    : undefined;
}

/** Problems for a reader schema reading data written with a writer schema. */
function readerProblems(
  reader: Schema,
  writer: Schema,
  path: string,
  out: string[],
  readerIsNew = true,
): void {
  const field = (p: string): string => (path === '' ? p : `${path}.${p}`);
  const rt = typesOf(reader);
  const wt = typesOf(writer);
  if (!accepts(rt, wt)) {
    const onlyNull =
      wt !== undefined && rt !== undefined && [...wt].every((t) => t === 'null' || accepts(rt, new Set([t])));
    out.push(
      onlyNull
        ? `field '${path}': no longer nullable`
        : `field '${path}': type changed from ${describeTypes(readerIsNew ? wt : rt)} to ${describeTypes(readerIsNew ? rt : wt)}`,
    );
    return;
  }
  const re = enumOf(reader);
  const we = enumOf(writer);
  if (re !== undefined) {
    const lost = (we ?? []).filter((v) => !re.includes(v));
    if (we === undefined) out.push(`field '${path}': now restricted to ${re.join(', ')}`);
    else if (lost.length > 0)
      out.push(`field '${path}': value${lost.length > 1 ? 's' : ''} ${lost.join(', ')} no longer allowed`);
  }
  const ro = objectPart(reader);
  const wo = objectPart(writer);
  if (ro !== undefined && wo !== undefined) {
    const rp = props(ro);
    const wp = props(wo);
    const wr = new Set(required(wo));
    for (const p of required(ro))
      if (!wr.has(p) && rp[p]?.default === undefined)
        out.push(
          wp[p] === undefined
            ? `field '${field(p)}': added as required; data written with the other schema lacks it`
            : `field '${field(p)}': became required`,
        );
    for (const [p, ws] of Object.entries(wp)) {
      const rs = rp[p];
      if (rs === undefined) {
        if (ro.additionalProperties === false)
          out.push(`field '${field(p)}': not allowed by the reading schema`);
        continue;
      }
      readerProblems(rs, ws, field(p), out, readerIsNew);
    }
  }
  if (reader.items !== undefined && writer.items !== undefined)
    readerProblems(asSchema(reader.items), asSchema(writer.items), `${path}[]`, out, readerIsNew);
}

/** farebox policy: a required field of the old schema must still exist in the new one. */
function removedRequired(newer: Schema, older: Schema, path = ''): string[] {
  const no = objectPart(newer);
  const oo = objectPart(older);
  if (no === undefined || oo === undefined) return [];
  const np = props(no);
  const out: string[] = [];
  for (const p of required(oo)) {
    const f = path === '' ? p : `${path}.${p}`;
    const ns = np[p];
    if (ns === undefined) out.push(`field '${f}': required field removed`);
    else out.push(...removedRequired(ns, asSchema(props(oo)[p]), f));
  }
  return out;
}

/** Checks a new schema against earlier versions (oldest first) under a compatibility level. */
export function checkJsonSchemaCompatibility(
  level: CompatibilityLevel,
  newer: Schema,
  earlier: Schema[],
): CompatibilityResult {
  const scope = scopeOf(level, earlier);
  if (scope === undefined) return { compatible: true, messages: [] };
  const { against, backward, forward } = scope;
  const messages = new Set<string>();
  for (const older of against) {
    for (const m of removedRequired(newer, older)) messages.add(m);
    if (backward) {
      const out: string[] = [];
      readerProblems(newer, older, '', out);
      for (const m of out) messages.add(m.replace("field '': ", 'the event: '));
    }
    if (forward) {
      const out: string[] = [];
      readerProblems(older, newer, '', out, false);
      for (const m of out)
        messages.add(`${m.replace("field '': ", 'the event: ')} (old readers cannot read new data)`);
    }
  }
  return { compatible: messages.size === 0, messages: [...messages] };
}
