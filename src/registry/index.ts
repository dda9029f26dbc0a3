import type { RegistryConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { createEmbeddedRegistry } from './embedded.ts';
import type { SchemaRegistry } from './types.ts';

export type * from './types.ts';
export { compatibilityLevels } from './types.ts';
export { decodeWire, encodeWire, encodeWireText, magicByte } from './wire-format.ts';
export { createEmbeddedRegistry, canonicalJson } from './embedded.ts';
export { checkJsonSchemaCompatibility } from './compatibility/json-schema.ts';
export { registerContracts, type SchemaIds } from './register-contracts.ts';

/** The schema registry named by the configuration. */
export async function createRegistry(config: RegistryConfig): Promise<SchemaRegistry> {
  if (config.kind === 'embedded') return createEmbeddedRegistry(config);
  throw new FareboxError('config_invalid', 'a schema registry by URL arrives with issue 3', {
    where: 'FAREBOX_REGISTRY',
    hint: 'use embedded for now',
  });
}
