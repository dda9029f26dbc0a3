/**
 * The records of the registry topic and how a replay turns them into state. Every process replays the
 * same single-partition topic from the start, so every process decides the same way.
 *
 * Records (key → value):
 *   schema/<subject>/<version>/<id>/<nonce> → a proposed version. Accepted unless its version number was
 *       ever taken, or its id disagrees with the ids already given (the same schema has another id, or the
 *       id belongs to another schema): the first in log order wins. The nonce makes every proposal's key
 *       unique, so compaction never replaces an accepted proposal with a rejected one; a proposer whose
 *       record lost writes `withdrawn` under the same key, so compaction drops the loser. The decision
 *       reads only earlier accepted proposals, which compaction never removes, and compares schemas by
 *       their normalized JSON, not by a validator a later farebox version might make stricter.
 *   delete/<subject>/<version> → soft delete;  purge/<subject>/<version> → permanent delete. One meaning
 *       per key and applied idempotently, so their order against each other does not matter.
 *   config/<subject>, config → a compatibility level (null removes it). The last one wins, which is what
 *       compaction keeps; levels are enforced by the proposer, not the replay, so no acceptance decision
 *       depends on a record compaction may remove.
 *
 * This needs a producer that does not duplicate records on retry (Kafka's idempotent producer, which
 * farebox's Kafka log uses): a duplicate of an accepted proposal would let compaction move it later.
 */
import { randomUUID } from 'node:crypto';
import type { LogRecord } from '../log/index.ts';
import type { NewVersion, RegistryModel } from './model.ts';
import { canonicalText } from './schema-format.ts';
import { compatibilityLevels, schemaTypes, type CompatibilityLevel, type SchemaType } from './types.ts';

export type RegistryRecord =
  | { type: 'schema'; subject: string; version: number; id: number; schemaType: SchemaType; schema: string }
  | { type: 'withdrawn' }
  | { type: 'delete'; subject: string; version: number; permanent: boolean }
  | { type: 'config'; subject: string | null; compatibility: CompatibilityLevel | null };

const enc = encodeURIComponent;

function record(key: string, value: RegistryRecord): LogRecord {
  return { key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)) };
}

export function proposalRecord(p: NewVersion): LogRecord {
  const key = `schema/${enc(p.subject)}/${p.version}/${p.id}/${randomUUID()}`;
  const { subject, version, id, schemaType, schema } = p;
  return record(key, { type: 'schema', subject, version, id, schemaType, schema });
}

export const withdrawnRecord = (key: Buffer): LogRecord => ({
  key,
  value: Buffer.from(JSON.stringify({ type: 'withdrawn' } satisfies RegistryRecord)),
});

export const deleteRecord = (subject: string, version: number, permanent: boolean): LogRecord =>
  record(`${permanent ? 'purge' : 'delete'}/${enc(subject)}/${version}`, {
    type: 'delete',
    subject,
    version,
    permanent,
  });

export const configRecord = (level: CompatibilityLevel | undefined, subject?: string): LogRecord =>
  record(subject === undefined ? 'config' : `config/${enc(subject)}`, {
    type: 'config',
    subject: subject ?? null,
    compatibility: level ?? null,
  });

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Parses a record's value; undefined for anything this version does not understand (skipped, not fatal). */
function decode(value: Buffer): RegistryRecord | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  const subjectOk = typeof r.subject === 'string';
  switch (r.type) {
    case 'schema':
      return subjectOk &&
        isInt(r.version) &&
        isInt(r.id) &&
        typeof r.schema === 'string' &&
        schemaTypes.includes(r.schemaType as SchemaType)
        ? (r as RegistryRecord)
        : undefined;
    case 'delete':
      return subjectOk && isInt(r.version) && typeof r.permanent === 'boolean'
        ? (r as RegistryRecord)
        : undefined;
    case 'config':
      return (subjectOk || r.subject === null) &&
        (r.compatibility === null || compatibilityLevels.includes(r.compatibility as CompatibilityLevel))
        ? (r as RegistryRecord)
        : undefined;
    default:
      return undefined;
  }
}

/** Applies one record to the model; returns whether it was accepted (only schema proposals can lose). */
export function applyRecord(model: RegistryModel, value: Buffer): boolean {
  const r = decode(value);
  if (r === undefined || r.type === 'withdrawn') return false;
  if (r.type === 'delete') {
    model.markDeleted(r.subject, r.version, r.permanent);
    return true;
  }
  if (r.type === 'config') {
    model.setLevel(r.compatibility ?? undefined, r.subject ?? undefined);
    return true;
  }
  const canonical = canonicalText(r.schema);
  if (canonical === undefined) return false;
  const proposal: NewVersion = { ...r, canonical };
  if (model.conflict(proposal) !== undefined) return false;
  model.addVersion(proposal);
  return true;
}
