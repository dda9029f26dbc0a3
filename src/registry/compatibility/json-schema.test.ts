import { describe, expect, it } from 'vitest';
import { tripCompletedV1, tripCompletedV2 } from '../../contracts/index.ts';
import { contracts } from '../../contracts/index.ts';
import { checkJsonSchemaCompatibility } from './json-schema.ts';

const [v1, v2] = contracts.trip_completed.versions.map((v) => v.jsonSchema);
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
});
const num = { type: 'number' };
const str = { type: 'string' };

describe('JSON Schema compatibility', () => {
  it('accepts trip_completed v2 (optional cbd_congestion_fee) after v1 under BACKWARD and FULL', () => {
    expect(tripCompletedV2.shape.cbd_congestion_fee).toBeDefined();
    expect(tripCompletedV1.shape).not.toHaveProperty('cbd_congestion_fee');
    expect(checkJsonSchemaCompatibility('BACKWARD', v2 ?? {}, [v1 ?? {}])).toEqual({
      compatible: true,
      messages: [],
    });
    expect(checkJsonSchemaCompatibility('FULL', v2 ?? {}, [v1 ?? {}]).compatible).toBe(true);
  });

  it('refuses a removed required field and a changed type, naming the field', () => {
    const r = checkJsonSchemaCompatibility('BACKWARD', obj({ fare: str }), [obj({ fare: num, tip: num })]);
    expect(r.compatible).toBe(false);
    expect(r.messages).toEqual([
      "field 'tip': required field removed",
      "field 'fare': type changed from number to string",
    ]);
  });

  it('refuses a new required field under BACKWARD but not an optional one', () => {
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ a: num, b: num }), [obj({ a: num })]).messages,
    ).toEqual(["field 'b': added as required; data written with the other schema lacks it"]);
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ a: num, b: num }, ['a']), [obj({ a: num })]).compatible,
    ).toBe(true);
  });

  it('allows integer → number widening for readers, not the reverse', () => {
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ a: num }), [obj({ a: { type: 'integer' } })]).compatible,
    ).toBe(true);
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ a: { type: 'integer' } }), [obj({ a: num })]).compatible,
    ).toBe(false);
  });

  it('checks nullability and enums', () => {
    const nullable = { anyOf: [str, { type: 'null' }] };
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ a: str }), [obj({ a: nullable })]).messages,
    ).toEqual(["field 'a': no longer nullable"]);
    const kinds = (...e: string[]) => ({ type: 'string', enum: e });
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ k: kinds('yellow') }), [
        obj({ k: kinds('yellow', 'green') }),
      ]).messages,
    ).toEqual(["field 'k': value green no longer allowed"]);
    expect(
      checkJsonSchemaCompatibility('BACKWARD', obj({ k: kinds('yellow', 'green', 'fhv') }), [
        obj({ k: kinds('yellow', 'green') }),
      ]).compatible,
    ).toBe(true);
    expect(
      checkJsonSchemaCompatibility('FORWARD', obj({ k: kinds('yellow', 'green', 'fhv') }), [
        obj({ k: kinds('yellow', 'green') }),
      ]).compatible,
    ).toBe(false);
  });

  it('checks only the latest version unless transitive', () => {
    const history = [obj({ a: num }), obj({ a: num, b: str }, ['a'])];
    const next = obj({ a: num, b: num }, ['a']);
    expect(checkJsonSchemaCompatibility('BACKWARD', next, history).compatible).toBe(false);
    const history2 = [obj({ a: num, b: num }, ['a']), obj({ a: num }, ['a'])];
    const next2 = obj({ a: num, b: str }, ['a']);
    expect(checkJsonSchemaCompatibility('BACKWARD', next2, history2).compatible).toBe(true);
    expect(checkJsonSchemaCompatibility('BACKWARD_TRANSITIVE', next2, history2).messages).toEqual([
      "field 'b': type changed from number to string",
    ]);
    expect(checkJsonSchemaCompatibility('NONE', obj({}), history).compatible).toBe(true);
  });
});
