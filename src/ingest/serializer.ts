/**
 * The serializer: claim check for binary fields, JSON payload in the Confluent wire format (magic byte,
 * schema id), partition key from the contract, and the whole message to the object store if it is too large.
 */
import { contractFor, type EventType } from '../contracts/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { LogRecord } from '../log/index.ts';
import { checkInFields, checkInMessage, claimCheckHeader, type ObjectStore } from '../objects/index.ts';
import { encodeWire, type SchemaIds } from '../registry/index.ts';

export const eventTypeHeader = 'farebox-event-type';

export interface SerializerConfig {
  /** Messages larger than this go to the object store whole. */
  claimCheckBytes: number;
}

export interface SerializerDeps {
  objects: ObjectStore;
  /** Registered schema ids per event type and contract version. */
  schemaIds: SchemaIds;
}

export interface Serializer {
  /** Serializes with the given contract version's schema id, or the latest version's. */
  serialize(type: EventType, payload: Record<string, unknown>, version?: number): Promise<LogRecord>;
}

export function createSerializer(config: SerializerConfig, deps: SerializerDeps): Serializer {
  return {
    async serialize(type, payload, version) {
      const contract = contractFor(type);
      const versions = deps.schemaIds.get(type) ?? [];
      const hint = `registered versions: ${versions.map((v) => v.version).join(', ') || 'none (farebox registers them at start-up)'}`;
      const chosen = version === undefined ? versions.at(-1) : versions.find((v) => v.version === version);
      if (chosen === undefined && version !== undefined)
        throw new FareboxError('bad_request', `event type '${type}' has no contract version ${version}`, {
          hint,
        });
      if (chosen === undefined)
        throw new FareboxError('schema_not_found', `no schema registered for event type '${type}'`, { hint });
      const schemaId = chosen.id;
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
