/** The pieces of `farebox serve registry`: the REST app over a registry kept in the log's `_schemas` topic. */
import type { Hono } from 'hono';
import { createLogRegistry, type LogRegistryConfig, type LogRegistryDeps } from './log-registry.ts';
import { createRegistryApp } from './server.ts';
import type { SchemaRegistry } from './types.ts';

export interface RegistryService {
  app: Hono;
  registry: SchemaRegistry;
  /** Stops reading the topic; the log itself belongs to the caller. */
  close(): Promise<void>;
}

/** Deps first: every setting has a default, so `serve registry` passes only the log. */
export async function createRegistryService(
  deps: LogRegistryDeps,
  config: LogRegistryConfig = {},
): Promise<RegistryService> {
  const registry = await createLogRegistry(config, deps);
  return { app: createRegistryApp({ registry }), registry, close: () => registry.close() };
}
