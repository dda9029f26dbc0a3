/** The schema-registry seam: embedded (registry/embedded) or any Confluent-compatible service by URL. */

export type SchemaType = 'JSON' | 'AVRO';

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

export interface SchemaRegistry {
  /** Registers a schema under a subject. Registering the same schema again returns the same id and version. */
  register(subject: string, schema: string, schemaType?: SchemaType): Promise<RegisteredSchema>;
  /** The version of this exact schema under the subject, if registered. */
  lookup(subject: string, schema: string, schemaType?: SchemaType): Promise<RegisteredSchema | undefined>;
  getById(id: number): Promise<{ schema: string; schemaType: SchemaType }>;
  getVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema>;
  listSubjects(): Promise<string[]>;
  listVersions(subject: string): Promise<number[]>;
  checkCompatibility(
    subject: string,
    schema: string,
    schemaType?: SchemaType,
    version?: number | 'latest',
  ): Promise<CompatibilityResult>;
  getCompatibility(subject?: string): Promise<CompatibilityLevel>;
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  /** Soft delete unless permanent; returns the versions deleted. */
  deleteSubject(subject: string, permanent?: boolean): Promise<number[]>;
  close(): Promise<void>;
}
