/**
 * Schemas by id: their texts fetched from the registry once (on the thread that has the registry), and
 * compiled validators kept where the records are checked (the same thread, or a pre-load worker).
 */
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { isFareboxError } from '../errors/index.ts';
import type { SchemaRegistry } from '../registry/index.ts';

export interface CompiledSchema {
  id: number;
  version: number;
  title: string | undefined;
  validate: ValidateFunction;
}

export interface SchemaTexts {
  /** The schema's text, or undefined when the registry does not know the id. Registry outages throw. */
  get(id: number): Promise<string | undefined>;
}

export function createSchemaTexts(registry: SchemaRegistry): SchemaTexts {
  const cache = new Map<number, Promise<string | undefined>>();
  const load = async (id: number): Promise<string | undefined> => {
    try {
      return (await registry.getById(id)).schema;
    } catch (e) {
      if (isFareboxError(e, 'schema_not_found')) return undefined;
      cache.delete(id);
      throw e;
    }
  };
  return {
    get(id) {
      let hit = cache.get(id);
      if (hit === undefined) {
        hit = load(id);
        cache.set(id, hit);
      }
      return hit;
    },
  };
}

export interface CompiledSchemas {
  /** Whether the id's text (or its absence from the registry) has been given. */
  has: (id: number) => boolean;
  /** Gives the text of a schema id, or undefined for an id the registry does not know. */
  add: (id: number, text: string | undefined) => void;
  /** The compiled schema; undefined for an id the registry does not know. */
  get: (id: number) => CompiledSchema | undefined;
}

export function createCompiledSchemas(): CompiledSchemas {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const compiled = new Map<number, CompiledSchema | undefined>();
  return {
    has: (id) => compiled.has(id),
    add(id, text) {
      if (compiled.has(id)) return;
      if (text === undefined) {
        compiled.set(id, undefined);
        return;
      }
      const parsed = JSON.parse(text) as { title?: string; 'x-farebox-version'?: number };
      compiled.set(id, {
        id,
        version: parsed['x-farebox-version'] ?? 0,
        title: parsed.title,
        validate: ajv.compile(parsed),
      });
    },
    get: (id) => compiled.get(id),
  };
}

/** Ajv's errors as one line naming each field, e.g. "field 'fare_amount' must be number". */
export function describeErrors(validate: ValidateFunction): string {
  const byField = new Map<string, string[]>();
  for (const err of validate.errors ?? []) {
    const missing = (err.params as { missingProperty?: string }).missingProperty;
    const path = err.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const field = missing === undefined ? path : path === '' ? missing : `${path}.${missing}`;
    const message = missing === undefined ? (err.message ?? 'is invalid') : 'is required';
    const list = byField.get(field) ?? [];
    if (!list.includes(message)) list.push(message);
    byField.set(field, list);
  }
  const lines = [...byField].map(([field, messages]) => {
    const types = messages.filter((m) => m.startsWith('must be '));
    const other = messages.filter((m) => !m.startsWith('must be ') && m !== 'must match a schema in anyOf');
    const text = [
      ...(types.length > 0 ? [`must be ${types.map((t) => t.slice(8)).join(' or ')}`] : []),
      ...other,
    ].join(', ');
    return field === '' ? `the event ${text}` : `field '${field}' ${text || 'is invalid'}`;
  });
  return lines.length > 5
    ? [...lines.slice(0, 5), `and ${lines.length - 5} more`].join('; ')
    : lines.join('; ');
}
