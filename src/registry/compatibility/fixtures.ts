/**
 * Schema histories and candidates that tell the seven compatibility levels apart, for JSON Schema and
 * Avro; shared by the unit tests of the checkers and the REST tests with the official client.
 */
import type { CompatibilityLevel } from '../types.ts';

export interface Candidate {
  schema: string;
  /** The field the refusal must name. */
  field: string;
  /** The levels under which the candidate is compatible with the history. */
  compatible: CompatibilityLevel[];
}

type Field = { name: string; type: unknown; default?: unknown };
export const record = (...fields: Field[]) =>
  JSON.stringify({ type: 'record', name: 'Trip', namespace: 'farebox', fields });
export const tripId = { name: 'trip_id', type: 'string' };

/** v1 → v2 is compatible in every mode; the candidates below tell the modes apart. */
export const avroHistory = [
  record(tripId, { name: 'fare', type: 'double' }),
  record(tripId, { name: 'fare', type: 'double', default: 0 }, { name: 'tip', type: 'double', default: 0 }),
];
export const avroCandidates: Record<string, Candidate> = {
  'adds a field without a default': {
    schema: record(
      tripId,
      { name: 'fare', type: 'double', default: 0 },
      { name: 'tip', type: 'double', default: 0 },
      { name: 'zone', type: 'int' },
    ),
    field: 'zone',
    compatible: ['NONE', 'FORWARD', 'FORWARD_TRANSITIVE'],
  },
  'changes a type': {
    schema: record(
      tripId,
      { name: 'fare', type: 'string', default: '0' },
      { name: 'tip', type: 'double', default: 0 },
    ),
    field: 'fare',
    compatible: ['NONE'],
  },
  'drops the default of a field v1 lacked': {
    schema: record(tripId, { name: 'fare', type: 'double', default: 0 }, { name: 'tip', type: 'double' }),
    field: 'tip',
    compatible: ['NONE', 'BACKWARD', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL'],
  },
  'removes a field v1 has no default for': {
    schema: record(tripId, { name: 'tip', type: 'double', default: 0 }),
    field: 'fare',
    compatible: ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL'],
  },
};

const num = { type: 'number' };
const obj = (properties: Record<string, unknown>, required: string[]) =>
  JSON.stringify({ type: 'object', properties, required });

/** v1 → v2 (an optional field dropped) is compatible in every mode; the candidates tell the modes apart. */
export const jsonHistory = [obj({ a: num, b: num }, ['a']), obj({ a: num }, ['a'])];
export const jsonCandidates: Record<string, Candidate> = {
  'adds a required field': {
    schema: obj({ a: num, c: num }, ['a', 'c']),
    field: 'c',
    compatible: ['NONE', 'FORWARD', 'FORWARD_TRANSITIVE'],
  },
  'changes a type': { schema: obj({ a: { type: 'string' } }, ['a']), field: 'a', compatible: ['NONE'] },
  'brings back a dropped field with another type': {
    schema: obj({ a: num, b: { type: 'string' } }, ['a']),
    field: 'b',
    compatible: ['NONE', 'BACKWARD', 'FORWARD', 'FULL'],
  },
  'makes a field nullable': {
    schema: obj({ a: { anyOf: [num, { type: 'null' }] } }, ['a']),
    field: 'a',
    compatible: ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE'],
  },
};
