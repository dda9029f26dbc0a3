/**
 * One record on disk: [u32 body length][u32 crc32 of body][body], body =
 * [f64 offset][f64 timestamp][i32 key length, -1 for null][key][u32 value length][value][u32 headers length][headers JSON].
 */
import { crc32 } from 'node:zlib';
import type { ConsumedRecord } from '../types.ts';

export const frameHeaderBytes = 8;

export interface FrameInput {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Encoded headers of frozen header objects (producers share one per event type), encoded once. */
const encodedHeaders = new WeakMap<object, Buffer | null>();
function headerBytes(h: Record<string, string>): Buffer | null {
  const cached = encodedHeaders.get(h);
  if (cached !== undefined) return cached;
  const bytes = Object.keys(h).length === 0 ? null : Buffer.from(JSON.stringify(h));
  if (Object.isFrozen(h)) encodedHeaders.set(h, bytes);
  return bytes;
}

/** Consecutive records mostly carry the same headers: parse them once and share a frozen object. */
let lastHeaders: { bytes: Buffer; value: Record<string, string> } | undefined;
function parseHeaders(bytes: Buffer): Record<string, string> {
  if (lastHeaders !== undefined && lastHeaders.bytes.equals(bytes)) return lastHeaders.value;
  const value = Object.freeze(JSON.parse(bytes.toString('utf8')) as Record<string, string>);
  lastHeaders = { bytes: Buffer.from(bytes), value };
  return value;
}

/** A frame as the pieces to write (the value is not copied), its size and timestamp. */
export interface EncodedFrame {
  parts: Buffer[];
  size: number;
  timestamp: number;
}

export function encodeFrame(r: FrameInput): EncodedFrame {
  const headers = headerBytes(r.headers);
  const keyLen = r.key === null ? 0 : r.key.length;
  const headersLen = headers?.length ?? 0;
  const bodyLen = 8 + 8 + 4 + keyLen + 4 + r.value.length + 4 + headersLen;
  // head: frame header, offset, timestamp, key, value length; then the value; then tail: the headers.
  const head = Buffer.allocUnsafe(frameHeaderBytes + 20 + keyLen + 4);
  let p = frameHeaderBytes;
  head.writeDoubleBE(r.offset, p);
  head.writeDoubleBE(r.timestamp, p + 8);
  head.writeInt32BE(r.key === null ? -1 : keyLen, p + 16);
  p += 20;
  if (r.key !== null) p += r.key.copy(head, p);
  head.writeUInt32BE(r.value.length, p);
  const tail = Buffer.allocUnsafe(4 + headersLen);
  tail.writeUInt32BE(headersLen, 0);
  if (headers !== null) headers.copy(tail, 4);
  head.writeUInt32BE(bodyLen, 0);
  const crc = crc32(tail, crc32(r.value, crc32(head.subarray(frameHeaderBytes))));
  head.writeUInt32BE(crc, 4);
  return { parts: [head, r.value, tail], size: frameHeaderBytes + bodyLen, timestamp: r.timestamp };
}

export type FrameRead =
  | { kind: 'frame'; record: Omit<ConsumedRecord, 'topic' | 'partition'>; size: number }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

/**
 * Reads the frame at `pos` of `buf`; `incomplete` when the buffer ends inside it. Key and value are views
 * of `buf` (no copy); headers are frozen.
 */
export function decodeFrame(buf: Buffer, pos: number): FrameRead {
  if (pos + frameHeaderBytes > buf.length) return { kind: 'incomplete' };
  const bodyLen = buf.readUInt32BE(pos);
  if (bodyLen < 24 || bodyLen > 1 << 30)
    return { kind: 'corrupt', reason: `implausible frame length ${bodyLen}` };
  const end = pos + frameHeaderBytes + bodyLen;
  if (end > buf.length) return { kind: 'incomplete' };
  const body = buf.subarray(pos + frameHeaderBytes, end);
  if (crc32(body) !== buf.readUInt32BE(pos + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const offset = body.readDoubleBE(0);
  const timestamp = body.readDoubleBE(8);
  const keyLen = body.readInt32BE(16);
  let p = 20;
  const key = keyLen < 0 ? null : body.subarray(p, (p += keyLen));
  const valueLen = body.readUInt32BE(p);
  const value = body.subarray(p + 4, (p += 4 + valueLen));
  const headersLen = body.readUInt32BE(p);
  const headers = headersLen === 0 ? {} : parseHeaders(body.subarray(p + 4, p + 4 + headersLen));
  return {
    kind: 'frame',
    record: { offset, timestamp, key, value, headers },
    size: frameHeaderBytes + bodyLen,
  };
}
