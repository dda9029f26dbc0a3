import { describe, expect, it } from 'vitest';
import { parseSchema, type ParsedSchema } from '../schema-format.ts';
import { compatibilityLevels } from '../types.ts';
import { checkAvroCompatibility } from './avro.ts';
import { avroCandidates, avroHistory, record, tripId } from './fixtures.ts';

const avro = (text: string) =>
  (parseSchema(text, 'AVRO') as Extract<ParsedSchema, { schemaType: 'AVRO' }>).avro;

describe('Avro compatibility', () => {
  for (const [what, c] of Object.entries(avroCandidates))
    it(`a schema that ${what}: compatible exactly under ${c.compatible.join(', ')}`, () => {
      for (const level of compatibilityLevels) {
        const r = checkAvroCompatibility(level, avro(c.schema), avroHistory.map(avro));
        expect({ level, compatible: r.compatible }).toEqual({
          level,
          compatible: c.compatible.includes(level),
        });
        if (!r.compatible) expect(r.messages.join('\n')).toContain(`field '${c.field}'`);
      }
    });

  it('names fields inside nested records, arrays, unions and enums', () => {
    const kind = (...symbols: string[]) => ({ type: 'enum', name: 'Kind', symbols });
    const stop = (t: unknown) => ({ type: 'record', name: 'Stop', fields: [{ name: 'zone', type: t }] });
    const older = record(
      { name: 'kind', type: kind('yellow', 'green') },
      { name: 'stops', type: { type: 'array', items: stop('int') } },
      { name: 'driver', type: ['null', 'string'], default: null },
    );
    const newer = record(
      { name: 'kind', type: kind('yellow') },
      { name: 'stops', type: { type: 'array', items: stop('string') } },
      { name: 'driver', type: 'string' },
    );
    expect(checkAvroCompatibility('BACKWARD', avro(newer), [avro(older)]).messages).toEqual([
      "field 'kind': symbol green no longer allowed",
      "field 'stops[].zone': type changed from int to string",
      "field 'driver': no longer nullable",
    ]);
  });

  it('follows Avro promotions (int → long reads, long → int does not)', () => {
    const withZone = (t: string) => record({ name: 'zone', type: t });
    expect(
      checkAvroCompatibility('BACKWARD', avro(withZone('long')), [avro(withZone('int'))]).compatible,
    ).toBe(true);
    expect(
      checkAvroCompatibility('BACKWARD', avro(withZone('int')), [avro(withZone('long'))]).messages,
    ).toEqual(["field 'zone': type changed from long to int"]);
    expect(
      checkAvroCompatibility('FORWARD', avro(withZone('long')), [avro(withZone('int'))]).messages,
    ).toEqual(["field 'zone': type changed from int to long (old readers cannot read new data)"]);
  });

  it('refuses a renamed record without an alias', () => {
    const renamed = JSON.stringify({ type: 'record', name: 'Ride', fields: [tripId] });
    const r = checkAvroCompatibility('BACKWARD', avro(renamed), [avro(record(tripId))]);
    expect(r.compatible).toBe(false);
    expect(r.messages.join()).toMatch(/name changed/);
  });
});
