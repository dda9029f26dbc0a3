/**
 * Compatibility of Avro schemas by Avro's own schema-resolution rules: avsc's `createResolver(writer)` on
 * the reader type throws exactly when the reader cannot read data written with the writer schema. avsc's
 * messages do not say where ("cannot read \"int\" as \"string\""), so when a resolver fails we walk both
 * schemas (records, unions, arrays, maps) to the innermost place that fails and name the field there.
 */
import type { Type } from 'avsc';
import type { CompatibilityLevel, CompatibilityResult } from '../types.ts';
import { scopeOf } from './levels.ts';

/** The parts of avsc's type objects the walk reads (its published typings leave them out). */
interface AvroNode {
  typeName: string;
  name?: string;
  aliases?: string[];
  fields?: AvroField[];
  types?: AvroNode[];
  itemsType?: AvroNode;
  valuesType?: AvroNode;
  symbols?: string[];
  default?: unknown;
  size?: number;
  createResolver(writer: AvroNode): unknown;
}

interface AvroField {
  name: string;
  aliases: string[];
  type: AvroNode;
  defaultValue(): unknown;
}

/** Which way data flows: `backward` has the new schema reading old data, `forward` the old reading new. */
type Direction = 'backward' | 'forward';

const isUnion = (t: AvroNode): boolean => t.typeName.startsWith('union');
const isNamed = (t: AvroNode): boolean => ['record', 'error', 'enum', 'fixed'].includes(t.typeName);
const where = (path: string): string => (path === '' ? 'the event' : `field '${path}'`);
const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function describe(t: AvroNode): string {
  if (isUnion(t)) return (t.types ?? []).map(describe).join(' or ');
  if (t.typeName === 'array' && t.itemsType !== undefined) return `array of ${describe(t.itemsType)}`;
  if (t.typeName === 'map' && t.valuesType !== undefined) return `map of ${describe(t.valuesType)}`;
  if (isNamed(t)) return `${t.typeName} ${t.name ?? ''}`.trim();
  return t.typeName;
}

/** Why `reader` cannot read `writer` data, or undefined when it can. */
function failure(reader: AvroNode, writer: AvroNode): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function typeChanged(reader: AvroNode, writer: AvroNode, path: string, direction: Direction): string {
  const [older, newer] = direction === 'backward' ? [writer, reader] : [reader, writer];
  return `${where(path)}: type changed from ${describe(older)} to ${describe(newer)}`;
}

/** Appends one message per place where `reader` cannot read `writer`, naming the field. */
function problems(
  reader: AvroNode,
  writer: AvroNode,
  path: string,
  direction: Direction,
  out: string[],
): void {
  const reason = failure(reader, writer);
  if (reason === undefined) return;
  const before = out.length;
  explain(reader, writer, path, direction, out);
  if (out.length === before) out.push(`${where(path)}: ${reason}`);
}

function explain(
  reader: AvroNode,
  writer: AvroNode,
  path: string,
  direction: Direction,
  out: string[],
): void {
  if (isUnion(writer)) {
    // Every branch the writer may have written must be readable.
    for (const branch of writer.types ?? []) {
      if (failure(reader, branch) === undefined) continue;
      if (branch.typeName === 'null')
        out.push(
          direction === 'backward'
            ? `${where(path)}: no longer nullable`
            : `${where(path)}: became nullable, which the old schema cannot read`,
        );
      else problems(reader, branch, path, direction, out);
    }
    return;
  }
  if (isUnion(reader)) {
    // The reader picks a branch of the writer's kind; descend into it to name the field inside.
    const same = (reader.types ?? []).find(
      (b) => b.typeName === writer.typeName && (!isNamed(b) || b.name === writer.name),
    );
    if (same !== undefined) problems(same, writer, path, direction, out);
    else out.push(typeChanged(reader, writer, path, direction));
    return;
  }
  if (reader.typeName !== writer.typeName) {
    out.push(typeChanged(reader, writer, path, direction));
    return;
  }
  if (isNamed(reader) && reader.name !== writer.name && !(reader.aliases ?? []).includes(writer.name ?? '')) {
    out.push(`${where(path)}: ${reader.typeName} name changed (${writer.name} vs ${reader.name}), no alias`);
    return;
  }
  switch (reader.typeName) {
    case 'record':
    case 'error':
      return recordProblems(reader, writer, path, direction, out);
    case 'array':
      if (reader.itemsType !== undefined && writer.itemsType !== undefined)
        problems(reader.itemsType, writer.itemsType, `${path}[]`, direction, out);
      return;
    case 'map':
      if (reader.valuesType !== undefined && writer.valuesType !== undefined)
        problems(reader.valuesType, writer.valuesType, `${path}{}`, direction, out);
      return;
    case 'enum': {
      const known = new Set(reader.symbols ?? []);
      const lost = (writer.symbols ?? []).filter((s) => !known.has(s));
      if (lost.length > 0 && reader.default === undefined)
        out.push(
          direction === 'backward'
            ? `${where(path)}: symbol${lost.length > 1 ? 's' : ''} ${lost.join(', ')} no longer allowed`
            : `${where(path)}: new symbol${lost.length > 1 ? 's' : ''} ${lost.join(', ')} unknown to the old schema, which has no default`,
        );
      return;
    }
    case 'fixed':
      out.push(`${where(path)}: fixed size changed from ${writer.size} to ${reader.size}`);
      return;
  }
}

function recordProblems(
  reader: AvroNode,
  writer: AvroNode,
  path: string,
  direction: Direction,
  out: string[],
): void {
  const written = new Map((writer.fields ?? []).map((f) => [f.name, f]));
  for (const field of reader.fields ?? []) {
    const match = [field.name, ...field.aliases].map((n) => written.get(n)).find((f) => f !== undefined);
    const name = join(path, field.name);
    if (match === undefined) {
      if (field.defaultValue() === undefined)
        out.push(
          direction === 'backward'
            ? `field '${name}': added without a default; data written with the old schema lacks it`
            : `field '${name}': removed, and the old schema has no default for it`,
        );
      continue;
    }
    problems(field.type, match.type, name, direction, out);
  }
}

/** Checks a new schema against earlier versions (oldest first) under a compatibility level. */
export function checkAvroCompatibility(
  level: CompatibilityLevel,
  newer: Type,
  earlier: Type[],
): CompatibilityResult {
  const scope = scopeOf(level, earlier);
  if (scope === undefined) return { compatible: true, messages: [] };
  const { against, backward, forward } = scope;
  const messages = new Set<string>();
  const fresh = newer as unknown as AvroNode;
  for (const older of against as unknown as AvroNode[]) {
    if (backward) {
      const out: string[] = [];
      problems(fresh, older, '', 'backward', out);
      for (const m of out) messages.add(m);
    }
    if (forward) {
      const out: string[] = [];
      problems(older, fresh, '', 'forward', out);
      for (const m of out) messages.add(`${m} (old readers cannot read new data)`);
    }
  }
  return { compatible: messages.size === 0, messages: [...messages] };
}
