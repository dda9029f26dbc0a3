import { contracts, eventTypes, type EventType } from '../contracts/index.ts';
import type { SchemaRegistry } from './types.ts';

/** A contract version and the id the registry gave its schema. */
export interface SchemaVersionId {
  id: number;
  version: number;
}

/** Registered schema ids per event type, one per contract version, oldest first. */
export type SchemaIds = ReadonlyMap<EventType, readonly SchemaVersionId[]>;

/** Registers every contract version, oldest first, under `<topic>-value`; returns the ids per event type. */
export async function registerContracts(registry: SchemaRegistry): Promise<SchemaIds> {
  const out = new Map<EventType, SchemaVersionId[]>();
  for (const type of eventTypes) {
    const c = contracts[type];
    const ids: SchemaVersionId[] = [];
    for (const v of c.versions) {
      const r = await registry.register(c.subject, v.schemaText, 'JSON');
      ids.push({ id: r.id, version: v.version });
    }
    out.set(type, ids);
  }
  return out;
}
