/**
 * The schema-registry seam: embedded (registry/embedded), backed by an event-log topic (registry/log-registry),
 * or any Confluent-compatible service by URL (registry/http-client).
 */

export type SchemaType = 'JSON' | 'AVRO';

export const schemaTypes: readonly SchemaType[] = ['JSON', 'AVRO'];

export const compatibilityLevels = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof compatibilityLevels)[number];

export interface RegisteredSchema {
  id: number;
  subject: string;
  version: number;
  schemaType: SchemaType;
  schema: string;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** One line per problem, each naming the field, e.g. "field 'fare_amount': type changed from number to string". */
  messages: string[];
}

export interface ReadOptions {
  /** Include soft-deleted subjects and versions (Confluent's `?deleted=true`). */
  deleted?: boolean;
}

export interface SchemaRegistry {
  /**
   * Registers a schema under a subject. Registering the same schema again returns the same id and version.
   * Schemas are always compared in a normalized form (JSON key order does not matter), so Confluent's
   * `?normalize=true` changes nothing here.
   */
  register(subject: string, schema: string, schemaType?: SchemaType): Promise<RegisteredSchema>;
  /** The version of this exact schema under the subject, if registered. */
  lookup(
    subject: string,
    schema: string,
    schemaType?: SchemaType,
    options?: ReadOptions,
  ): Promise<RegisteredSchema | undefined>;
  /** A schema by its global id; soft-deleted versions still resolve, permanently deleted ones do not. */
  getById(id: number): Promise<{ schema: string; schemaType: SchemaType }>;
  getVersion(subject: string, version: number | 'latest', options?: ReadOptions): Promise<RegisteredSchema>;
  listSubjects(options?: ReadOptions): Promise<string[]>;
  listVersions(subject: string, options?: ReadOptions): Promise<number[]>;
  /** Against every version the level asks for ('latest'), or against one version (a number). */
  checkCompatibility(
    subject: string,
    schema: string,
    schemaType?: SchemaType,
    version?: number | 'latest',
  ): Promise<CompatibilityResult>;
  /** The level in force: the subject's own, else the global one. */
  getCompatibility(subject?: string): Promise<CompatibilityLevel>;
  /** The level set on the subject itself, if any (Confluent answers 40408 when there is none). */
  getSubjectCompatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  /** Removes the subject's own level (or resets the global one to BACKWARD); returns the level it had. */
  deleteCompatibility(subject?: string): Promise<CompatibilityLevel | undefined>;
  /** Soft delete unless permanent (which needs a soft delete first); returns the versions deleted. */
  deleteSubject(subject: string, permanent?: boolean): Promise<number[]>;
  /** Soft delete of one version unless permanent (which needs a soft delete first); returns the version. */
  deleteVersion(subject: string, version: number | 'latest', permanent?: boolean): Promise<number>;
  close(): Promise<void>;
}
