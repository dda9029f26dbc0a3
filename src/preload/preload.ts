/** decode → validate → clean → route. A bad record is a value (a dead letter), never an exception. */
import { importErrorHeader, isEventType, type EventType } from '../contracts/index.ts';
import { isFareboxError } from '../errors/index.ts';
import type { ConsumedRecord } from '../log/index.ts';
import { checkOutMessage, claimCheckHeader, type ObjectStore } from '../objects/index.ts';
import { decodeWire, type SchemaRegistry } from '../registry/index.ts';
import { cleanDocument, cleanLocation } from './clean/others.ts';
import { cleanTrip } from './clean/trips.ts';
import { msToDateTime64 } from './convert.ts';
import { rowBuilders } from './rows.ts';
import { createSchemaCache, describeErrors } from './schemas.ts';
import type { Cleaned, DeadLetter, Routed, Stage } from './types.ts';

const cleaners: Record<EventType, (e: Record<string, unknown>) => Cleaned> = {
  trip_completed: cleanTrip,
  vehicle_location: cleanLocation,
  driver_document: cleanDocument,
};

export interface Preload {
  process(record: ConsumedRecord): Promise<Routed>;
}

export interface PreloadDeps {
  registry: SchemaRegistry;
  objects: ObjectStore;
  now?: () => number;
}

/** Failures that stop a whole batch (the registry or object store is down) are thrown; bad records are not. */
function isRecordProblem(e: unknown): boolean {
  return isFareboxError(e) && !e.retriable;
}

export function createPreload(_config: Record<string, never>, deps: PreloadDeps): Preload {
  const schemas = createSchemaCache(deps.registry);
  const now = deps.now ?? Date.now;

  return {
    async process(record) {
      const received = msToDateTime64(now());
      let schemaId: number | null = null;
      let eventId: string | null = null;
      const dead = (stage: Stage, reason: string): Routed => {
        const deadLetter: DeadLetter = {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          event_type: record.topic,
          stage,
          reason,
          raw_base64: record.value.toString('base64'),
          key: record.key === null ? null : record.key.toString('utf8'),
          headers: record.headers,
          schema_id: schemaId,
          event_id: eventId,
          received_at: received,
        };
        return { ok: false, deadLetter };
      };

      // decode
      const type = record.topic;
      if (!isEventType(type)) return dead('decode', `topic '${type}' carries no known event type`);
      const importError = record.headers[importErrorHeader];
      if (importError !== undefined) return dead('decode', `import: ${importError}`);
      let bytes = record.value;
      if (record.headers[claimCheckHeader] !== undefined) {
        try {
          bytes = await checkOutMessage(record.value, deps.objects);
        } catch (e) {
          if (!isRecordProblem(e)) throw e;
          return dead('decode', `claim check: ${(e as Error).message}`);
        }
      }
      let wire: { schemaId: number; payload: Uint8Array };
      try {
        wire = decodeWire(bytes);
      } catch (e) {
        return dead('decode', (e as Error).message);
      }
      const id = wire.schemaId;
      schemaId = id;
      const payload = Buffer.from(wire.payload);
      const schema = await schemas.get(id);
      if (schema === undefined) return dead('decode', `schema id ${schemaId} is not in the schema registry`);
      let event: unknown;
      try {
        event = JSON.parse(payload.toString('utf8'));
      } catch (e) {
        return dead('decode', `payload is not JSON: ${(e as Error).message}`);
      }
      if (
        typeof event === 'object' &&
        event !== null &&
        typeof (event as { event_id?: unknown }).event_id === 'string'
      )
        eventId = (event as { event_id: string }).event_id;

      // validate
      if (schema.title !== undefined && schema.title !== type)
        return dead('validate', `schema id ${schemaId} is for '${schema.title}', not for topic '${type}'`);
      if (!schema.validate(event)) return dead('validate', describeErrors(schema.validate));

      // clean
      const cleaned = cleaners[type](event as Record<string, unknown>);
      if (!cleaned.ok) return dead('clean', cleaned.reason);

      // route
      const row = rowBuilders[type](cleaned.event, {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        schemaId: id,
        schemaVersion: schema.version,
        ingestedAt: received,
        flags: cleaned.flags,
      });
      return { ok: true, type, row };
    },
  };
}
