import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { checkCompatibility, parseSchema } from './schema-format.ts';
import { jsonCandidates, jsonHistory } from './compatibility/fixtures.ts';
import { compatibilityLevels } from './types.ts';

const num = { type: 'number' };
const obj = (properties: Record<string, unknown>, required: string[]) =>
  JSON.stringify({ type: 'object', properties, required });

describe('schema formats', () => {
  for (const [what, c] of Object.entries(jsonCandidates))
    it(`JSON Schema that ${what}: compatible exactly under ${c.compatible.join(', ')}`, () => {
      for (const level of compatibilityLevels) {
        const r = checkCompatibility(
          level,
          parseSchema(c.schema, 'JSON'),
          jsonHistory.map((s) => parseSchema(s, 'JSON')),
        );
        expect({ level, compatible: r.compatible }).toEqual({
          level,
          compatible: c.compatible.includes(level),
        });
        if (!r.compatible) expect(r.messages.join('\n')).toContain(`field '${c.field}'`);
      }
    });

  it('gives equal schemas one normalized form however they are written', () => {
    const a = parseSchema('{"type":"object","required":[],"properties":{}}', 'JSON');
    const b = parseSchema('{ "properties": {}, "type": "object", "required": [] }', 'JSON');
    expect(a.canonical).toBe(b.canonical);
    expect(parseSchema('"string"', 'AVRO').canonical).toBe('"string"');
  });

  it('refuses invalid schemas naming the problem', () => {
    const invalid = (text: string, type: 'JSON' | 'AVRO', pattern: RegExp) => {
      try {
        parseSchema(text, type);
        expect.unreachable();
      } catch (e) {
        expect(isFareboxError(e, 'schema_invalid')).toBe(true);
        expect((e as Error).message).toMatch(pattern);
      }
    };
    invalid('{nope', 'JSON', /not JSON/);
    invalid('[1]', 'JSON', /must be a JSON object/);
    invalid('{"type": 12}', 'JSON', /not a valid JSON Schema/);
    invalid(
      '{"type":"record","name":"T","fields":[{"name":"a","type":"nope"}]}',
      'AVRO',
      /undefined type name: nope/,
    );
  });

  it('refuses a change of schema type unless the level is NONE', () => {
    const json = parseSchema(obj({ a: num }, ['a']), 'JSON');
    const avro = parseSchema('"string"', 'AVRO');
    expect(checkCompatibility('BACKWARD', avro, [json]).messages).toEqual([
      'the schema type changed from JSON to AVRO',
    ]);
    expect(checkCompatibility('NONE', avro, [json]).compatible).toBe(true);
  });
});
