/**
 * The registry's state in memory, shared by the embedded registry (which saves it to a file) and the
 * log-backed one (which rebuilds it by replaying a topic). Reads throw FareboxErrors; the rules that
 * decide what a change writes are in rules.ts.
 */
import { FareboxError } from '../errors/index.ts';
import { parseSchema, type ParsedSchema } from './schema-format.ts';
import type { CompatibilityLevel, ReadOptions, RegisteredSchema, SchemaType } from './types.ts';

export interface SchemaEntry {
  id: number;
  schemaType: SchemaType;
  schema: string;
  canonical: string;
}

/** `purged` is a permanent delete: the version number stays taken, so it is never given out again. */
export interface VersionEntry {
  version: number;
  id: number;
  deleted?: boolean;
  purged?: boolean;
}

export interface SubjectEntry {
  compatibility?: CompatibilityLevel;
  versions: VersionEntry[];
}

/** The state as plain JSON (the embedded registry's file format). */
export interface RegistryFile {
  nextId: number;
  compatibility: CompatibilityLevel;
  schemas: SchemaEntry[];
  subjects: Record<string, SubjectEntry>;
}

/** A version a register would add. */
export interface NewVersion extends SchemaEntry {
  subject: string;
  version: number;
}

export const defaultCompatibility: CompatibilityLevel = 'BACKWARD';

export interface RegistryModel {
  toFile(): RegistryFile;
  /** Why this version cannot be added as proposed (its number or its id is taken), or undefined. */
  conflict(p: NewVersion): string | undefined;
  addVersion(p: NewVersion): void;
  markDeleted(subject: string, version: number, permanent: boolean): void;
  /** Sets (or with undefined, removes) a level; returns the level it replaced. */
  setLevel(level: CompatibilityLevel | undefined, subject?: string): CompatibilityLevel | undefined;
  levelOf(subject?: string): CompatibilityLevel;
  subjectLevel(subject: string): CompatibilityLevel | undefined;
  lookup(
    subject: string,
    schema: string,
    schemaType: SchemaType,
    o?: ReadOptions,
  ): RegisteredSchema | undefined;
  getById(id: number): { schema: string; schemaType: SchemaType };
  getVersion(subject: string, version: number | 'latest', o?: ReadOptions): RegisteredSchema;
  listSubjects(o?: ReadOptions): string[];
  listVersions(subject: string, o?: ReadOptions): number[];
  /** Versions not permanently deleted, oldest first; soft-deleted ones only if asked. */
  versions(subject: string, o?: ReadOptions): VersionEntry[];
  /** Highest version number the subject ever had, permanently deleted ones included. */
  maxVersion(subject: string): number;
  schemaFor(schemaType: SchemaType, canonical: string): SchemaEntry | undefined;
  /** The id the next new schema gets. */
  nextId(): number;
  parsed(id: number): ParsedSchema;
  registered(subject: string, v: VersionEntry): RegisteredSchema;
}

export const notFound = (what: string, hint: string): FareboxError =>
  new FareboxError('schema_not_found', what, { hint });
export const subjectNotFound = (subject: string): FareboxError =>
  notFound(
    `subject '${subject}' not found`,
    'list subjects with listSubjects(); subjects are named <topic>-value',
  );

export function createModel(file?: RegistryFile): RegistryModel {
  let nextId = file?.nextId ?? 1;
  let globalLevel = file?.compatibility ?? defaultCompatibility;
  // Maps, not objects: a subject may be called "constructor" or "__proto__".
  const subjects = new Map<string, SubjectEntry>(Object.entries(file?.subjects ?? {}));
  const byId = new Map<number, SchemaEntry>();
  const byCanonical = new Map<string, SchemaEntry>();
  const parsedById = new Map<number, ParsedSchema>();
  const canonicalKey = (schemaType: SchemaType, canonical: string): string => `${schemaType}\n${canonical}`;
  const addSchema = (s: SchemaEntry): void => {
    const entry = { id: s.id, schemaType: s.schemaType, schema: s.schema, canonical: s.canonical };
    byId.set(s.id, entry);
    byCanonical.set(canonicalKey(s.schemaType, s.canonical), entry);
    nextId = Math.max(nextId, s.id + 1);
  };
  for (const s of file?.schemas ?? []) addSchema(s);

  const parsedOf = (id: number): ParsedSchema => {
    let parsed = parsedById.get(id);
    if (parsed === undefined) {
      const s = byId.get(id) as SchemaEntry;
      parsed = parseSchema(s.schema, s.schemaType);
      parsedById.set(id, parsed);
    }
    return parsed;
  };
  const versionsOf = (subject: string, o: ReadOptions = {}): VersionEntry[] =>
    (subjects.get(subject)?.versions ?? []).filter(
      (v) => v.purged !== true && (o.deleted === true || v.deleted !== true),
    );
  const existingOrThrow = (subject: string, o: ReadOptions = {}): VersionEntry[] => {
    const versions = versionsOf(subject, o);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions;
  };
  const toRegistered = (subject: string, v: VersionEntry): RegisteredSchema => {
    const s = byId.get(v.id) as SchemaEntry;
    return { id: v.id, subject, version: v.version, schemaType: s.schemaType, schema: s.schema };
  };
  const maxVersion = (subject: string): number =>
    Math.max(0, ...(subjects.get(subject)?.versions ?? []).map((v) => v.version));

  const model: RegistryModel = {
    toFile: () => ({
      nextId,
      compatibility: globalLevel,
      schemas: [...byId.values()],
      subjects: Object.fromEntries(subjects),
    }),
    conflict(p) {
      if ((subjects.get(p.subject)?.versions ?? []).some((v) => v.version === p.version))
        return `version ${p.version} of subject '${p.subject}' is taken`;
      const same = byCanonical.get(canonicalKey(p.schemaType, p.canonical));
      if (same !== undefined && same.id !== p.id) return `the schema already has id ${same.id}`;
      const atId = byId.get(p.id);
      if (atId !== undefined && atId !== same) return `id ${p.id} belongs to another schema`;
      return undefined;
    },
    addVersion(p) {
      if (!byId.has(p.id)) addSchema(p);
      let subject = subjects.get(p.subject);
      if (subject === undefined) subjects.set(p.subject, (subject = { versions: [] }));
      subject.versions.push({ version: p.version, id: p.id });
      subject.versions.sort((a, b) => a.version - b.version);
    },
    markDeleted(subject, version, permanent) {
      const v = subjects.get(subject)?.versions.find((x) => x.version === version);
      if (v === undefined) return;
      v.deleted = true;
      if (permanent) v.purged = true;
    },
    setLevel(level, subject) {
      if (subject === undefined) {
        const before = globalLevel;
        globalLevel = level ?? defaultCompatibility;
        return before;
      }
      let entry = subjects.get(subject);
      const before = entry?.compatibility;
      if (level === undefined) {
        if (entry !== undefined) delete entry.compatibility;
        return before;
      }
      if (entry === undefined) subjects.set(subject, (entry = { versions: [] }));
      entry.compatibility = level;
      return before;
    },
    levelOf: (subject) =>
      (subject === undefined ? undefined : subjects.get(subject)?.compatibility) ?? globalLevel,
    subjectLevel: (subject) => subjects.get(subject)?.compatibility,
    lookup(subject, schema, schemaType, o) {
      const { canonical } = parseSchema(schema, schemaType);
      const entry = byCanonical.get(canonicalKey(schemaType, canonical));
      const v = versionsOf(subject, o).findLast((x) => x.id === entry?.id);
      return v === undefined ? undefined : toRegistered(subject, v);
    },
    getById(id) {
      const s = byId.get(id);
      // A schema whose every version was deleted permanently is gone, as in Confluent; its id stays taken.
      const live = [...subjects.values()].some((e) =>
        e.versions.some((v) => v.id === id && v.purged !== true),
      );
      if (s === undefined || !live)
        throw notFound(
          `schema id ${id} not found`,
          'ids come from the wire format of a message; was it written against another registry?',
        );
      return { schema: s.schema, schemaType: s.schemaType };
    },
    getVersion(subject, version, o) {
      const versions = existingOrThrow(subject, o);
      const v = version === 'latest' ? versions.at(-1) : versions.find((x) => x.version === version);
      if (v === undefined)
        throw notFound(
          `version ${version} of subject '${subject}' not found`,
          `versions: ${versions.map((x) => x.version).join(', ')}`,
        );
      return toRegistered(subject, v);
    },
    listSubjects: (o) => [...subjects.keys()].filter((s) => versionsOf(s, o).length > 0).sort(),
    listVersions: (subject, o) => existingOrThrow(subject, o).map((v) => v.version),
    versions: (subject, o) => versionsOf(subject, o),
    maxVersion,
    schemaFor: (schemaType, canonical) => byCanonical.get(canonicalKey(schemaType, canonical)),
    nextId: () => nextId,
    parsed: parsedOf,
    registered: toRegistered,
  };
  return model;
}
