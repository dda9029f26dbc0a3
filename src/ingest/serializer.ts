/**
 * The serializer: claim check for binary fields, JSON payload in the Confluent wire format (magic byte,
 * schema id), partition key from the contract, and the whole message to the object store if it is too large.
 */
import { contractFor, type EventType } from '../contracts/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { LogRecord } from '../log/index.ts';
import { checkInFields, checkInMessage, claimCheckHeader, type ObjectStore } from '../objects/index.ts';
import { encodeWire } from '../registry/index.ts';

export const eventTypeHeader = 'farebox-event-type';

export interface SerializerConfig {
  /** Messages larger than this go to the object store whole. */
  claimCheckBytes: number;
}

export interface SerializerDeps {
  objects: ObjectStore;
  /** Schema id producers write, per event type (the latest registered contract version). */
  schemaIds: ReadonlyMap<EventType, number>;
}

export interface Serializer {
  serialize(type: EventType, payload: Record<string, unknown>): Promise<LogRecord>;
}

export function createSerializer(config: SerializerConfig, deps: SerializerDeps): Serializer {
  return {
    async serialize(type, payload) {
      const contract = contractFor(type);
      const schemaId = deps.schemaIds.get(type);
      if (schemaId === undefined)
        throw new FareboxError('schema_not_found', `no schema registered for event type '${type}'`, {
          hint: 'register the contracts first (farebox does this at start-up)',
        });
      const body =
        contract.binaryFields.length === 0
          ? payload
          : await checkInFields(payload, contract.binaryFields, deps.objects);
      const wire = encodeWire(schemaId, Buffer.from(JSON.stringify(body)));
      const keyValue = body[contract.keyField];
      const key = typeof keyValue === 'string' && keyValue !== '' ? Buffer.from(keyValue) : null;
      const headers: Record<string, string> = { [eventTypeHeader]: type };
      if (wire.byteLength <= config.claimCheckBytes) return { key, value: wire, headers };
      const value = await checkInMessage(wire, deps.objects);
      return { key, value, headers: { ...headers, [claimCheckHeader]: String(wire.byteLength) } };
    },
  };
}
