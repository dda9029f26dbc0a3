/**
 * The Confluent Schema Registry wire protocol, shared by farebox's REST server and its HTTP client: media
 * types, error codes and how they map to FareboxError codes, request bodies and version ids.
 */
import type { ErrorCode } from '../errors/index.ts';
import {
  compatibilityLevels,
  type CompatibilityLevel,
  type RegisteredSchema,
  type SchemaType,
} from './types.ts';

export const registryMediaType = 'application/vnd.schemaregistry.v1+json';

/** Confluent's `error_code`s (Errors.java in confluentinc/schema-registry). */
export const confluentCodes = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectLevelNotConfigured: 40408,
  /** Confluent answers an incompatible schema with HTTP 409 and error_code 409 (newer servers: 40901). */
  incompatible: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibility: 42203,
  storeError: 50001,
} as const;

export interface ConfluentError {
  status: 400 | 404 | 409 | 413 | 422 | 500;
  body: { error_code: number; message: string };
}

export const confluentError = (
  status: ConfluentError['status'],
  code: number,
  message: string,
): ConfluentError => ({ status, body: { error_code: code, message } });

/** Confluent's not-found answers, worded as Confluent words them. */
export const notFoundErrors = {
  subject: (subject: string) =>
    confluentError(404, confluentCodes.subjectNotFound, `Subject '${subject}' not found.`),
  version: (version: number | 'latest') =>
    confluentError(404, confluentCodes.versionNotFound, `Version ${version} not found.`),
  schema: (id?: string) =>
    confluentError(
      404,
      confluentCodes.schemaNotFound,
      id === undefined ? 'Schema not found' : `Schema ${id} not found`,
    ),
  subjectSoftDeleted: (subject: string) =>
    confluentError(
      404,
      confluentCodes.subjectSoftDeleted,
      `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
    ),
  subjectNotSoftDeleted: (subject: string) =>
    confluentError(
      404,
      confluentCodes.subjectNotSoftDeleted,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    ),
  versionSoftDeleted: (subject: string, version: number) =>
    confluentError(
      404,
      confluentCodes.versionSoftDeleted,
      `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    confluentError(
      404,
      confluentCodes.versionNotSoftDeleted,
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    ),
  subjectLevel: (subject: string) =>
    confluentError(
      404,
      confluentCodes.subjectLevelNotConfigured,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    ),
};

/** The answer for a FareboxError a registry threw where the route had nothing more precise to say. */
export function errorForCode(code: ErrorCode, message: string): ConfluentError {
  switch (code) {
    case 'schema_invalid':
      return confluentError(422, confluentCodes.invalidSchema, `Invalid schema: ${message}`);
    case 'schema_incompatible':
      return confluentError(
        409,
        confluentCodes.incompatible,
        `Schema being registered is incompatible with an earlier schema; details: ${message}`,
      );
    case 'schema_not_found':
      return confluentError(404, confluentCodes.schemaNotFound, message);
    case 'bad_request':
      return confluentError(400, 400, message);
    default:
      return confluentError(500, confluentCodes.storeError, `Error in the backend data store: ${message}`);
  }
}

/** The FareboxError code for a Confluent error_code, and whether trying again may help. */
export function codeForConfluent(
  status: number,
  errorCode: number | undefined,
): { code: ErrorCode; retriable: boolean } {
  const c = errorCode ?? status;
  if (c === 40401 || c === 40402 || c === 40403 || c === 40408)
    return { code: 'schema_not_found', retriable: false };
  if (c === 409 || c === 40901) return { code: 'schema_incompatible', retriable: false };
  if (c === 42201) return { code: 'schema_invalid', retriable: false };
  if (status >= 500 || status === 429 || status === 408)
    return { code: 'registry_unavailable', retriable: true };
  return { code: 'bad_request', retriable: false };
}

/** Version ids as Confluent takes them: 1 … 2^31-1, or "latest" (also spelled -1). */
export function parseVersionId(text: string): number | 'latest' | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'latest' || t === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 2 ** 31 - 1 ? n : undefined;
}

export const invalidVersion = (text: string): ConfluentError =>
  confluentError(
    422,
    confluentCodes.invalidVersion,
    `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
  );

export function parseCompatibility(value: unknown): CompatibilityLevel | undefined {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  return compatibilityLevels.find((l) => l === upper);
}

export const invalidCompatibility = (): ConfluentError =>
  confluentError(
    422,
    confluentCodes.invalidCompatibility,
    'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
  );

/** A schema in a request body. An absent schemaType means AVRO, as in Confluent. */
export function parseSchemaRequest(
  body: unknown,
): { schema: string; schemaType: SchemaType } | ConfluentError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.schema !== 'string' || b.schema.trim() === '')
    return confluentError(422, confluentCodes.invalidSchema, 'Empty schema');
  const type =
    b.schemaType === undefined || b.schemaType === null
      ? 'AVRO'
      : typeof b.schemaType === 'string'
        ? b.schemaType.toUpperCase()
        : JSON.stringify(b.schemaType);
  if (type !== 'AVRO' && type !== 'JSON')
    return confluentError(
      422,
      confluentCodes.invalidSchema,
      `Invalid schema type ${type}: farebox's registry takes JSON and AVRO`,
    );
  if (Array.isArray(b.references) && b.references.length > 0)
    return confluentError(
      422,
      confluentCodes.invalidSchema,
      "Schema references are not supported by farebox's registry",
    );
  return { schema: b.schema, schemaType: type };
}

/** How Confluent shows a schema: schemaType is left out for AVRO, the default. */
export const schemaTypeField = (schemaType: SchemaType): { schemaType?: SchemaType } =>
  schemaType === 'AVRO' ? {} : { schemaType };

export const versionBody = (r: RegisteredSchema) => ({
  subject: r.subject,
  version: r.version,
  id: r.id,
  ...schemaTypeField(r.schemaType),
  schema: r.schema,
});
