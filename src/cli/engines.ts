/** The composition root: opens the engines named by the configuration and prepares them. */
import fs from 'node:fs/promises';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { contracts, deadLetterTopic, eventTypes } from '../contracts/index.ts';
import { createEventLog, type EventLog } from '../log/index.ts';
import { createObjectStore, type ObjectStore } from '../objects/index.ts';
import { createRegistry, registerContracts, type SchemaIds, type SchemaRegistry } from '../registry/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../warehouse/index.ts';

/** Stands in where a process has no registry of its own (the registry service). */
const unavailableRegistry: SchemaRegistry = new Proxy({} as SchemaRegistry, {
  get: (_t, prop) =>
    prop === 'close'
      ? () => Promise.resolve()
      : () =>
          Promise.reject(
            new FareboxError('internal', `this process has no schema registry client (${String(prop)})`),
          ),
});

export interface Engines {
  config: Config;
  log: EventLog;
  objects: ObjectStore;
  registry: SchemaRegistry;
  /** Registered schema ids per event type and contract version. */
  schemaIds: SchemaIds;
  warehouse: Warehouse | undefined;
  close(): Promise<void>;
}

export interface EngineOptions {
  warehouse: boolean;
  /**
   * Open the configured schema registry and register the contracts (the default). The registry service
   * itself says false: it is the registry.
   */
  registry?: boolean;
}

export async function openEngines(config: Config, options: EngineOptions): Promise<Engines> {
  await fs.mkdir(config.home, { recursive: true });
  const log = await createEventLog(config.log);
  const opened: { close(): Promise<void> }[] = [log];
  try {
    const topicSpec = {
      partitions: config.log.partitions,
      retentionMs: config.log.retentionMs,
      retentionBytes: config.log.retentionBytes,
    };
    for (const type of eventTypes) await log.ensureTopic({ name: contracts[type].topic, ...topicSpec });
    await log.ensureTopic({ name: deadLetterTopic, ...topicSpec });
    const objects = await createObjectStore(config.objects);
    opened.push(objects);
    const registry = options.registry === false ? unavailableRegistry : await createRegistry(config.registry);
    opened.push(registry);
    const schemaIds = options.registry === false ? new Map() : await registerContracts(registry);
    let warehouse: Warehouse | undefined;
    if (options.warehouse) {
      warehouse = await openWarehouse(config.warehouse);
      opened.push(warehouse);
      await migrate(warehouse);
    }
    return {
      config,
      log,
      objects,
      registry,
      schemaIds,
      warehouse,
      async close() {
        for (const o of opened.reverse()) await o.close();
      },
    };
  } catch (e) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw e;
  }
}
