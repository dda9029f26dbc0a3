/**
 * What a change to the registry would write, worked out on the model without writing it, so each backend
 * commits it its own way (the embedded one applies and saves it; the log-backed one proposes it on the
 * topic). These are Confluent's rules: same schema, same id; versions checked under the subject's level;
 * a permanent delete only after a soft one.
 */
import { FareboxError } from '../errors/index.ts';
import { notFound, subjectNotFound, type NewVersion, type RegistryModel } from './model.ts';
import { checkCompatibility, parseSchema } from './schema-format.ts';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisteredSchema,
  SchemaRegistry,
  SchemaType,
} from './types.ts';

export type RegisterPlan = { existing: RegisteredSchema } | { proposal: NewVersion };

const softDeleteFirst = (what: string): FareboxError =>
  new FareboxError('bad_request', `${what} must be soft-deleted before a permanent delete`, {
    hint: 'delete it once without permanent first',
  });

/** Against every version the level asks for ('latest'), or against one version. */
export function checkAgainst(
  model: RegistryModel,
  subject: string,
  schema: string,
  schemaType: SchemaType,
  version: number | 'latest',
): CompatibilityResult {
  const parsed = parseSchema(schema, schemaType);
  const level = model.levelOf(subject);
  if (version === 'latest')
    return checkCompatibility(
      level,
      parsed,
      model.versions(subject).map((v) => model.parsed(v.id)),
    );
  // Against one chosen version, transitivity has nothing to add.
  const one = model.getVersion(subject, version);
  return checkCompatibility(level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, [
    model.parsed(one.id),
  ]);
}

export function planRegister(
  model: RegistryModel,
  subject: string,
  schema: string,
  schemaType: SchemaType,
): RegisterPlan {
  const parsed = parseSchema(schema, schemaType);
  const entry = model.schemaFor(schemaType, parsed.canonical);
  const live = model.versions(subject);
  const same = live.findLast((v) => v.id === entry?.id);
  if (same !== undefined) return { existing: model.registered(subject, same) };
  const level = model.levelOf(subject);
  const result = checkCompatibility(
    level,
    parsed,
    live.map((v) => model.parsed(v.id)),
  );
  if (!result.compatible)
    throw new FareboxError(
      'schema_incompatible',
      `schema for subject '${subject}' is incompatible under ${level}: ${result.messages.join('; ')}`,
      {
        hint: 'make new fields optional (or give them a default) and keep required fields and their types; or change the subject compatibility level',
      },
    );
  return {
    proposal: {
      subject,
      // Never a number given out before, even if that version was deleted permanently.
      version: model.maxVersion(subject) + 1,
      id: entry?.id ?? model.nextId(),
      schemaType,
      schema: entry?.schema ?? schema,
      canonical: parsed.canonical,
    },
  };
}

/** The versions a delete of the subject removes. */
export function planDeleteSubject(model: RegistryModel, subject: string, permanent: boolean): number[] {
  const all = model.versions(subject, { deleted: true });
  if (all.length === 0) throw subjectNotFound(subject);
  if (permanent) {
    if (all.some((v) => v.deleted !== true)) throw softDeleteFirst(`subject '${subject}'`);
    return all.map((v) => v.version);
  }
  const live = all.filter((v) => v.deleted !== true);
  if (live.length === 0)
    throw notFound(
      `subject '${subject}' was already deleted`,
      'use a permanent delete to remove it for good',
    );
  return live.map((v) => v.version);
}

/** The version a delete of one version removes. */
export function planDeleteVersion(
  model: RegistryModel,
  subject: string,
  version: number | 'latest',
  permanent: boolean,
): number {
  const all = model.versions(subject, { deleted: true });
  if (all.length === 0) throw subjectNotFound(subject);
  const pool = permanent ? all : all.filter((v) => v.deleted !== true);
  const v = version === 'latest' ? pool.at(-1) : all.find((x) => x.version === version);
  if (v === undefined)
    throw notFound(
      `version ${version} of subject '${subject}' not found`,
      'list versions with listVersions()',
    );
  if (permanent && v.deleted !== true) throw softDeleteFirst(`version ${v.version} of subject '${subject}'`);
  if (!permanent && v.deleted === true)
    throw notFound(
      `version ${v.version} of subject '${subject}' was already deleted`,
      'use a permanent delete to remove it for good',
    );
  return v.version;
}

/** The read side of a registry over its in-memory model; `read` first brings the model up to date. */
export function modelReads(
  model: RegistryModel,
  read: <T>(f: () => T) => Promise<T>,
): Pick<
  SchemaRegistry,
  | 'lookup'
  | 'getById'
  | 'getVersion'
  | 'listSubjects'
  | 'listVersions'
  | 'checkCompatibility'
  | 'getCompatibility'
  | 'getSubjectCompatibility'
> {
  return {
    lookup: (subject, schema, schemaType = 'JSON', options) =>
      read(() => model.lookup(subject, schema, schemaType, options)),
    getById: (id) => read(() => model.getById(id)),
    getVersion: (subject, version, options) => read(() => model.getVersion(subject, version, options)),
    listSubjects: (options) => read(() => model.listSubjects(options)),
    listVersions: (subject, options) => read(() => model.listVersions(subject, options)),
    checkCompatibility: (subject, schema, schemaType = 'JSON', version = 'latest') =>
      read(() => checkAgainst(model, subject, schema, schemaType, version)),
    getCompatibility: (subject) => read(() => model.levelOf(subject)),
    getSubjectCompatibility: (subject) => read(() => model.subjectLevel(subject)),
  };
}
