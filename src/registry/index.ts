import type { RegistryConfig } from '../config/index.ts';
import { createEmbeddedRegistry } from './embedded.ts';
import { createHttpRegistry } from './http-client.ts';
import type { SchemaRegistry } from './types.ts';

export type * from './types.ts';
export { compatibilityLevels, schemaTypes } from './types.ts';
export { decodeWire, encodeWire, encodeWireText, magicByte } from './wire-format.ts';
export { createEmbeddedRegistry } from './embedded.ts';
export {
  createLogRegistry,
  defaultRegistryTopic,
  type LogRegistryConfig,
  type LogRegistryDeps,
} from './log-registry.ts';
export { createHttpRegistry, type HttpRegistryConfig, type HttpRegistryDeps } from './http-client.ts';
export { createRegistryApp, type RegistryAppDeps } from './server.ts';
export { createRegistryService, type RegistryService } from './service.ts';
export { canonicalJson, checkCompatibility, parseSchema, type ParsedSchema } from './schema-format.ts';
export { checkJsonSchemaCompatibility } from './compatibility/json-schema.ts';
export { checkAvroCompatibility } from './compatibility/avro.ts';
export { registerContracts, type SchemaIds } from './register-contracts.ts';

/** The schema registry named by the configuration: embedded, or any Confluent-compatible one by URL. */
export async function createRegistry(config: RegistryConfig): Promise<SchemaRegistry> {
  if (config.kind === 'embedded') return createEmbeddedRegistry(config);
  return Promise.resolve(createHttpRegistry({ url: config.url }));
}
