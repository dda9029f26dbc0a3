/**
 * The data contracts: one zod definition per version gives both the TypeScript type and the
 * JSON Schema registered under subject `<topic>-value`.
 */
import { z } from 'zod';
import { FareboxError, closest } from '../errors/index.ts';
import { driverDocumentV1, type DriverDocument } from './driver-document.ts';
import { tripCompletedV1, tripCompletedV2, type TripCompleted } from './trip-completed.ts';
import { vehicleLocationV1, type VehicleLocation } from './vehicle-location.ts';

export type { TripCompleted } from './trip-completed.ts';
export type { VehicleLocation } from './vehicle-location.ts';
export type { DriverDocument } from './driver-document.ts';
export { tripCompletedV1, tripCompletedV2 } from './trip-completed.ts';
export { vehicleLocationV1 } from './vehicle-location.ts';
export { driverDocumentV1 } from './driver-document.ts';
export type { ObjectRefShape } from './binary.ts';
export { isBinaryValue, type BinaryValue } from './binary.ts';

export const eventTypes = ['trip_completed', 'vehicle_location', 'driver_document'] as const;
export type EventType = (typeof eventTypes)[number];

/** What readers see after pre-load, per event type. */
export interface EventPayloads {
  trip_completed: TripCompleted;
  vehicle_location: VehicleLocation;
  driver_document: DriverDocument;
}

export interface ContractVersion {
  version: number;
  schema: z.ZodObject;
  /** JSON Schema (draft 2020-12), as registered. */
  jsonSchema: Record<string, unknown>;
  /** The exact text registered with the schema registry. */
  schemaText: string;
}

export interface Contract {
  type: EventType;
  topic: string;
  /** Confluent subject naming (TopicNameStrategy). */
  subject: string;
  description: string;
  /** Oldest first; the last one is what producers write. */
  versions: readonly ContractVersion[];
  /** The partition key: records with the same key stay in order. */
  keyField: string;
  /** Fields whose bytes go to the object store (claim check); the event carries a reference. */
  binaryFields: readonly string[];
}

function version(n: number, schema: z.ZodObject, title: string): ContractVersion {
  const jsonSchema = { ...z.toJSONSchema(schema, { io: 'input' }), title, 'x-farebox-version': n };
  return { version: n, schema, jsonSchema, schemaText: JSON.stringify(jsonSchema) };
}

function contract(
  type: EventType,
  description: string,
  keyField: string,
  binaryFields: readonly string[],
  versions: readonly z.ZodObject[],
): Contract {
  return {
    type,
    topic: type,
    subject: `${type}-value`,
    description,
    keyField,
    binaryFields,
    versions: versions.map((s, i) => version(i + 1, s, type)),
  };
}

export const contracts: Readonly<Record<EventType, Contract>> = {
  trip_completed: contract(
    'trip_completed',
    'One finished trip: the NYC TLC yellow/green record plus fleet ids.',
    'trip_id',
    [],
    [tripCompletedV1, tripCompletedV2],
  ),
  vehicle_location: contract(
    'vehicle_location',
    'A position ping from a vehicle, every few seconds.',
    'vehicle_id',
    [],
    [vehicleLocationV1],
  ),
  driver_document: contract(
    'driver_document',
    'A driver uploaded a licence, insurance or vehicle photo; the bytes are in the object store.',
    'driver_id',
    ['document'],
    [driverDocumentV1],
  ),
};

export function isEventType(name: string): name is EventType {
  return (eventTypes as readonly string[]).includes(name);
}

/** The contract for an event type, or a contract_unknown error that suggests the closest name. */
export function contractFor(name: string): Contract {
  if (isEventType(name)) return contracts[name];
  const near = closest(name, eventTypes);
  throw new FareboxError('contract_unknown', `unknown event type '${name}'`, {
    hint: `known event types: ${eventTypes.join(', ')}${near === undefined ? '' : ` (did you mean '${near}'?)`}`,
  });
}

export function latestVersion(c: Contract): ContractVersion {
  const last = c.versions[c.versions.length - 1];
  if (last === undefined) throw new FareboxError('internal', `contract ${c.type} has no versions`);
  return last;
}

/** Topic of the dead letters (and the ClickHouse table of the same name). */
export const deadLetterTopic = 'dead_letters';

/** Header on a record that a file import could not parse: the value is the raw row, the header the reason. */
export const importErrorHeader = 'farebox-import-error';
