/**
 * The pure core of pre-load, one record at a time: decode → validate → clean → row. No I/O, so it runs
 * the same on the sink's thread and in a pre-load worker. A bad record is a verdict, never an exception.
 */
import { isEventType, type EventType } from '../contracts/index.ts';
import { decodeWire } from '../registry/index.ts';
import { cleanDocument, cleanLocation } from './clean/others.ts';
import { cleanTrip } from './clean/trips.ts';
import { rowBuilders } from './rows.ts';
import { describeErrors, type CompiledSchema } from './schemas.ts';
import type { Cleaned, Row, Source, Stage } from './types.ts';

const cleaners: Record<EventType, (e: Record<string, unknown>) => Cleaned> = {
  trip_completed: cleanTrip,
  vehicle_location: cleanLocation,
  driver_document: cleanDocument,
};

export type Verdict =
  | { ok: true; type: EventType; row: Row }
  | { ok: false; stage: Stage; reason: string; schemaId: number | null; eventId: string | null };

/** The schema id a message names, or undefined if it is not in the wire format. */
export function peekSchemaId(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < 5 || bytes[0] !== 0) return undefined;
  return (
    (((bytes[1] as number) << 24) >>> 0) +
    ((bytes[2] as number) << 16) +
    ((bytes[3] as number) << 8) +
    (bytes[4] as number)
  );
}

const decoder = new TextDecoder();

/**
 * Decides one record. `bytes` is the message as the serializer wrote it (a claim check already resolved);
 * `schemaOf` must already hold the schema the message names, or know that the registry has no such id.
 */
export function decide(
  source: Source,
  bytes: Uint8Array,
  ingestedAt: number,
  schemaOf: (id: number) => CompiledSchema | undefined,
): Verdict {
  let schemaId: number | null = null;
  let eventId: string | null = null;
  const dead = (stage: Stage, reason: string): Verdict => ({ ok: false, stage, reason, schemaId, eventId });

  // decode
  const type = source.topic;
  if (!isEventType(type)) return dead('decode', `topic '${type}' carries no known event type`);
  let payload: Uint8Array;
  try {
    const wire = decodeWire(bytes);
    schemaId = wire.schemaId;
    payload = wire.payload;
  } catch (e) {
    return dead('decode', (e as Error).message);
  }
  const schema = schemaOf(schemaId);
  if (schema === undefined) return dead('decode', `schema id ${schemaId} is not in the schema registry`);
  let event: unknown;
  try {
    event = JSON.parse(decoder.decode(payload));
  } catch (e) {
    return dead('decode', `payload is not JSON: ${(e as Error).message}`);
  }
  if (typeof event === 'object' && event !== null) {
    const id = (event as { event_id?: unknown }).event_id;
    if (typeof id === 'string') eventId = id;
  }

  // validate
  if (schema.title !== undefined && schema.title !== type)
    return dead('validate', `schema id ${schemaId} is for '${schema.title}', not for topic '${type}'`);
  if (!schema.validate(event)) return dead('validate', describeErrors(schema.validate));

  // clean
  const cleaned = cleaners[type](event as Record<string, unknown>);
  if (!cleaned.ok) return dead('clean', cleaned.reason);

  // route
  const row = rowBuilders[type](cleaned.event, {
    topic: source.topic,
    partition: source.partition,
    offset: source.offset,
    schemaId,
    schemaVersion: schema.version,
    ingestedAt,
    flags: cleaned.flags,
  });
  return { ok: true, type, row };
}
