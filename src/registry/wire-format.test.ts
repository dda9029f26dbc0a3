import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { decodeWire, encodeWire } from './wire-format.ts';

describe('Confluent wire format', () => {
  it('writes magic byte 0 and the schema id big-endian before the payload', () => {
    const wire = encodeWire(0x01020304, Buffer.from('{}'));
    expect([...wire]).toEqual([0, 1, 2, 3, 4, 0x7b, 0x7d]);
    expect(decodeWire(wire)).toEqual({ schemaId: 0x01020304, payload: Buffer.from('{}') });
  });

  it('refuses short messages and foreign magic bytes with the reason', () => {
    const fail = (b: Buffer) => {
      try {
        decodeWire(b);
      } catch (e) {
        if (isFareboxError(e, 'wire_format')) return e.message;
      }
      return 'no error';
    };
    expect(fail(Buffer.from([0, 0, 1]))).toBe(
      'message is 3 bytes, too short for the wire format (5-byte header)',
    );
    expect(fail(Buffer.from('{"a":1}'))).toBe('unknown magic byte 123 (expected 0: Confluent wire format)');
    expect(() => encodeWire(-1, Buffer.alloc(0))).toThrow(/does not fit/);
  });
});
