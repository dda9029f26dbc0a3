/**
 * The embedded schema registry: subjects, versions, global ids and compatibility checks, persisted in
 * `<dir>/registry.json` (written atomically). Ids follow Confluent: the same schema text under any
 * subject has one id; a soft-deleted version's id still resolves.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FareboxError } from '../errors/index.ts';
import { checkJsonSchemaCompatibility } from './compatibility/json-schema.ts';
import type { CompatibilityLevel, RegisteredSchema, SchemaRegistry, SchemaType } from './types.ts';

interface Version {
  version: number;
  id: number;
  deleted?: boolean;
}

interface State {
  nextId: number;
  compatibility: CompatibilityLevel;
  schemas: { id: number; schemaType: SchemaType; schema: string; canonical: string }[];
  subjects: Record<string, { compatibility?: CompatibilityLevel; versions: Version[] }>;
}

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

function parseSchema(
  schema: string,
  schemaType: SchemaType,
): { parsed: Record<string, unknown>; canonical: string } {
  if (schemaType !== 'JSON')
    throw new FareboxError('schema_invalid', `schema type ${schemaType} is not supported yet`, {
      hint: 'Avro support arrives with issue 3; use JSON Schema',
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch (e) {
    throw new FareboxError('schema_invalid', `the schema is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new FareboxError('schema_invalid', 'a JSON Schema must be a JSON object');
  try {
    new Ajv2020({ strict: false, validateFormats: false }).compile(parsed);
  } catch (e) {
    throw new FareboxError('schema_invalid', `not a valid JSON Schema: ${(e as Error).message}`);
  }
  return { parsed: parsed as Record<string, unknown>, canonical: canonicalJson(parsed) };
}

export async function createEmbeddedRegistry(config: { dir: string }): Promise<SchemaRegistry> {
  const file = path.join(config.dir, 'registry.json');
  await fs.mkdir(config.dir, { recursive: true });
  let state: State = { nextId: 1, compatibility: 'BACKWARD', schemas: [], subjects: {} };
  try {
    state = JSON.parse(await fs.readFile(file, 'utf8')) as State;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FareboxError('schema_invalid', `cannot read the registry state ${file}`, {
        cause: e,
        where: file,
      });
  }
  const byId = new Map(state.schemas.map((s) => [s.id, s]));

  const save = async (): Promise<void> => {
    const tmp = `${file}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  };
  const notFound = (what: string, hint: string) => new FareboxError('schema_not_found', what, { hint });
  const live = (subject: string): Version[] =>
    (state.subjects[subject]?.versions ?? []).filter((v) => v.deleted !== true);
  const liveOrThrow = (subject: string): Version[] => {
    const versions = live(subject);
    if (versions.length === 0)
      throw notFound(
        `subject '${subject}' not found`,
        'list subjects with listSubjects(); subjects are named <topic>-value',
      );
    return versions;
  };
  const toRegistered = (subject: string, v: Version): RegisteredSchema => {
    const s = byId.get(v.id) as State['schemas'][number];
    return { id: v.id, subject, version: v.version, schemaType: s.schemaType, schema: s.schema };
  };
  const levelOf = (subject?: string): CompatibilityLevel =>
    (subject === undefined ? undefined : state.subjects[subject]?.compatibility) ?? state.compatibility;
  const parsedOf = (id: number): Record<string, unknown> =>
    JSON.parse((byId.get(id) as State['schemas'][number]).schema) as Record<string, unknown>;
  const find = (subject: string, canonical: string): Version | undefined =>
    live(subject).find((v) => byId.get(v.id)?.canonical === canonical);

  const registry: SchemaRegistry = {
    async register(subject, schema, schemaType = 'JSON') {
      const { parsed, canonical } = parseSchema(schema, schemaType);
      const existing = find(subject, canonical);
      if (existing !== undefined) return toRegistered(subject, existing);
      const earlier = live(subject).map((v) => parsedOf(v.id));
      const result = checkJsonSchemaCompatibility(levelOf(subject), parsed, earlier);
      if (!result.compatible)
        throw new FareboxError(
          'schema_incompatible',
          `schema for subject '${subject}' is incompatible under ${levelOf(subject)}: ${result.messages.join('; ')}`,
          {
            hint: 'make new fields optional (or give them a default) and keep required fields and their types; or change the subject compatibility level',
          },
        );
      let entry = state.schemas.find((s) => s.canonical === canonical && s.schemaType === schemaType);
      if (entry === undefined) {
        entry = { id: state.nextId++, schemaType, schema, canonical };
        state.schemas.push(entry);
        byId.set(entry.id, entry);
      }
      const subj = (state.subjects[subject] ??= { versions: [] });
      const version = Math.max(0, ...subj.versions.map((v) => v.version)) + 1;
      const v: Version = { version, id: entry.id };
      subj.versions.push(v);
      await save();
      return toRegistered(subject, v);
    },
    lookup(subject, schema, schemaType = 'JSON') {
      const { canonical } = parseSchema(schema, schemaType);
      const v = find(subject, canonical);
      return Promise.resolve(v === undefined ? undefined : toRegistered(subject, v));
    },
    getById(id) {
      const s = byId.get(id);
      if (s === undefined)
        return Promise.reject(
          notFound(
            `schema id ${id} not found`,
            'ids come from the wire format of a message; was it written against another registry?',
          ),
        );
      return Promise.resolve({ schema: s.schema, schemaType: s.schemaType });
    },
    async getVersion(subject, version) {
      await Promise.resolve();
      const versions = liveOrThrow(subject);
      const v =
        version === 'latest' ? versions[versions.length - 1] : versions.find((x) => x.version === version);
      if (v === undefined)
        throw notFound(
          `version ${version} of subject '${subject}' not found`,
          `versions: ${versions.map((x) => x.version).join(', ')}`,
        );
      return toRegistered(subject, v);
    },
    listSubjects: () =>
      Promise.resolve(
        Object.keys(state.subjects)
          .filter((s) => live(s).length > 0)
          .sort(),
      ),
    async listVersions(subject) {
      await Promise.resolve();
      return liveOrThrow(subject).map((v) => v.version);
    },
    async checkCompatibility(subject, schema, schemaType = 'JSON', version = 'latest') {
      const { parsed } = parseSchema(schema, schemaType);
      const level = levelOf(subject);
      if (version !== 'latest') {
        const v = await registry.getVersion(subject, version);
        return checkJsonSchemaCompatibility(level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, [
          parsedOf(v.id),
        ]);
      }
      return checkJsonSchemaCompatibility(
        level,
        parsed,
        live(subject).map((v) => parsedOf(v.id)),
      );
    },
    getCompatibility: (subject) => Promise.resolve(levelOf(subject)),
    async setCompatibility(level, subject) {
      if (subject === undefined) state.compatibility = level;
      else (state.subjects[subject] ??= { versions: [] }).compatibility = level;
      await save();
    },
    async deleteSubject(subject, permanent = false) {
      const subj = state.subjects[subject];
      if (subj === undefined || subj.versions.length === 0)
        throw notFound(`subject '${subject}' not found`, 'nothing to delete');
      if (permanent) {
        if (subj.versions.some((v) => v.deleted !== true))
          throw new FareboxError(
            'bad_request',
            `subject '${subject}' must be soft-deleted before a permanent delete`,
            { hint: 'delete it once without permanent first' },
          );
        const gone = subj.versions.map((v) => v.version);
        Reflect.deleteProperty(state.subjects, subject);
        await save();
        return gone;
      }
      const versions = live(subject).map((v) => v.version);
      if (versions.length === 0)
        throw notFound(
          `subject '${subject}' was already deleted`,
          'use a permanent delete to remove it for good',
        );
      for (const v of subj.versions) v.deleted = true;
      await save();
      return versions;
    },
    close: () => Promise.resolve(),
  };
  return registry;
}
