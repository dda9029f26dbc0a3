/**
 * The serializer: claim check for binary fields, JSON payload in the Confluent wire format (magic byte,
 * schema id), partition key from the contract, and the whole message to the object store if it is too large.
 */
import { contractFor, type Contract, type EventType } from '../contracts/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { LogRecord } from '../log/index.ts';
import { checkInFields, checkInMessage, claimCheckHeader, type ObjectStore } from '../objects/index.ts';
import { encodeWireText, type SchemaIds } from '../registry/index.ts';

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
  /** Many events of one type; events needing no object store are serialized without a promise each. */
  serializeMany(
    type: EventType,
    payloads: readonly Record<string, unknown>[],
    version?: number,
  ): Promise<LogRecord[]>;
}

/** Headers are the same object for every record of a type, so the log can encode them once. */
const typeHeaders = new Map<EventType, Readonly<Record<string, string>>>();
function headersFor(type: EventType): Readonly<Record<string, string>> {
  let h = typeHeaders.get(type);
  if (h === undefined) {
    h = Object.freeze({ [eventTypeHeader]: type });
    typeHeaders.set(type, h);
  }
  return h;
}

export function createSerializer(config: SerializerConfig, deps: SerializerDeps): Serializer {
  const missing = (type: EventType, version: number | undefined): FareboxError => {
    const versions = deps.schemaIds.get(type) ?? [];
    const hint = `registered versions: ${versions.map((v) => v.version).join(', ') || 'none (farebox registers them at start-up)'}`;
    return version !== undefined
      ? new FareboxError('bad_request', `event type '${type}' has no contract version ${version}`, { hint })
      : new FareboxError('schema_not_found', `no schema registered for event type '${type}'`, { hint });
  };
  const schemaId = (type: EventType, version: number | undefined): number => {
    const versions = deps.schemaIds.get(type);
    const chosen = version === undefined ? versions?.at(-1) : versions?.find((v) => v.version === version);
    if (chosen === undefined) throw missing(type, version);
    return chosen.id;
  };
  /** The record, unless its message is too large for the log (then undefined: claim-check it). */
  const inline = (contract: Contract, id: number, body: Record<string, unknown>): LogRecord => {
    const wire = encodeWireText(id, JSON.stringify(body));
    const keyValue = body[contract.keyField];
    const key = typeof keyValue === 'string' && keyValue !== '' ? Buffer.from(keyValue) : null;
    return { key, value: wire, headers: headersFor(contract.type) };
  };
  const claimIfLarge = async (r: LogRecord): Promise<LogRecord> => {
    if (r.value.byteLength <= config.claimCheckBytes) return r;
    const value = await checkInMessage(r.value, deps.objects);
    return { ...r, value, headers: { ...r.headers, [claimCheckHeader]: String(r.value.byteLength) } };
  };
  const serialize = async (
    type: EventType,
    payload: Record<string, unknown>,
    version?: number,
  ): Promise<LogRecord> => {
    const contract = contractFor(type);
    const id = schemaId(type, version);
    const body =
      contract.binaryFields.length === 0
        ? payload
        : await checkInFields(payload, contract.binaryFields, deps.objects);
    return claimIfLarge(inline(contract, id, body));
  };
  return {
    serialize,
    async serializeMany(type, payloads, version) {
      const contract = contractFor(type);
      if (contract.binaryFields.length > 0)
        return Promise.all(payloads.map((p) => serialize(type, p, version)));
      const id = schemaId(type, version);
      const out = new Array<LogRecord>(payloads.length);
      for (let i = 0; i < payloads.length; i++) {
        const r = inline(contract, id, payloads[i] as Record<string, unknown>);
        out[i] = r.value.byteLength <= config.claimCheckBytes ? r : await claimIfLarge(r);
      }
      return out;
    },
  };
}
