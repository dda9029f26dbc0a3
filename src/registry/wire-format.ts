/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the payload. */
import { FareboxError } from '../errors/index.ts';

export const magicByte = 0;

function checkSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff)
    throw new FareboxError('wire_format', `schema id ${schemaId} does not fit in 4 bytes`);
}

export function encodeWire(schemaId: number, payload: Uint8Array): Buffer {
  checkSchemaId(schemaId);
  const out = Buffer.allocUnsafe(5 + payload.byteLength);
  out[0] = magicByte;
  out.writeUInt32BE(schemaId, 1);
  out.set(payload, 5);
  return out;
}

/** The wire format around a JSON text, written straight into one buffer. */
export function encodeWireText(schemaId: number, json: string): Buffer {
  checkSchemaId(schemaId);
  const out = Buffer.allocUnsafe(5 + Buffer.byteLength(json));
  out[0] = magicByte;
  out.writeUInt32BE(schemaId, 1);
  out.write(json, 5);
  return out;
}

export function decodeWire(buf: Uint8Array): { schemaId: number; payload: Uint8Array } {
  if (buf.byteLength < 5)
    throw new FareboxError(
      'wire_format',
      `message is ${buf.byteLength} bytes, too short for the wire format (5-byte header)`,
    );
  if (buf[0] !== magicByte)
    throw new FareboxError('wire_format', `unknown magic byte ${buf[0]} (expected 0: Confluent wire format)`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { schemaId: view.readUInt32BE(1), payload: view.subarray(5) };
}
