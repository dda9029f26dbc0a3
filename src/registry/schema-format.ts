/**
 * The schema types the registry understands (JSON Schema and Avro): parsing, the normalized form that
 * decides whether two texts are the same schema, and compatibility checks dispatched by type.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import avsc from 'avsc';
import type { Type as AvroType } from 'avsc';
import { FareboxError } from '../errors/index.ts';
import { checkAvroCompatibility } from './compatibility/avro.ts';
import { checkJsonSchemaCompatibility } from './compatibility/json-schema.ts';
import type { CompatibilityLevel, CompatibilityResult, SchemaType } from './types.ts';
import { scopeOf } from './compatibility/levels.ts';

export type ParsedSchema =
  | { schemaType: 'JSON'; canonical: string; json: Record<string, unknown> }
  | { schemaType: 'AVRO'; canonical: string; avro: AvroType };

/** JSON with object keys sorted, so equal schemas compare equal however they were written. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The normalized form of a schema text that is valid JSON, without checking it is a valid schema. The
 * log replay decides with this alone, so a stricter validator in a later farebox version cannot make it
 * reject a record that an earlier version accepted.
 */
export function canonicalText(schema: string): string | undefined {
  try {
    return canonicalJson(JSON.parse(schema));
  } catch {
    return undefined;
  }
}

const invalid = (message: string, hint?: string): FareboxError =>
  new FareboxError('schema_invalid', message, hint === undefined ? {} : { hint });

function parseJson(schema: string, what: string): unknown {
  try {
    return JSON.parse(schema);
  } catch (e) {
    throw invalid(`the ${what} is not JSON: ${(e as Error).message}`);
  }
}

/** Parses and checks a schema text; throws schema_invalid naming what is wrong. */
export function parseSchema(schema: string, schemaType: SchemaType): ParsedSchema {
  if (schemaType === 'AVRO') {
    const parsed = parseJson(schema, 'Avro schema');
    try {
      const avro = avsc.Type.forSchema(parsed as Parameters<typeof avsc.Type.forSchema>[0]);
      return { schemaType, canonical: canonicalJson(parsed), avro };
    } catch (e) {
      throw invalid(`not a valid Avro schema: ${(e as Error).message}`);
    }
  }
  if (schemaType !== 'JSON')
    throw invalid(`schema type ${String(schemaType)} is not supported`, 'use JSON (JSON Schema) or AVRO');
  const parsed = parseJson(schema, 'schema');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('a JSON Schema must be a JSON object');
  try {
    new Ajv2020({ strict: false, validateFormats: false }).compile(parsed);
  } catch (e) {
    throw invalid(`not a valid JSON Schema: ${(e as Error).message}`);
  }
  return { schemaType, canonical: canonicalJson(parsed), json: parsed as Record<string, unknown> };
}

/** Checks a new schema against earlier versions (oldest first) under a compatibility level. */
export function checkCompatibility(
  level: CompatibilityLevel,
  newer: ParsedSchema,
  earlier: ParsedSchema[],
): CompatibilityResult {
  const scope = scopeOf(level, earlier);
  if (scope === undefined) return { compatible: true, messages: [] };
  const { against } = scope;
  const otherTypes = [...new Set(against.map((s) => s.schemaType).filter((t) => t !== newer.schemaType))];
  if (otherTypes.length > 0)
    return {
      compatible: false,
      messages: [`the schema type changed from ${otherTypes.join(', ')} to ${newer.schemaType}`],
    };
  if (newer.schemaType === 'AVRO')
    return checkAvroCompatibility(
      level,
      newer.avro,
      against.flatMap((s) => (s.schemaType === 'AVRO' ? [s.avro] : [])),
    );
  return checkJsonSchemaCompatibility(
    level,
    newer.json,
    against.flatMap((s) => (s.schemaType === 'JSON' ? [s.json] : [])),
  );
}
