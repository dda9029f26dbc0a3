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

export function encodeFrame(r: FrameInput): Buffer {
  const headers = Object.keys(r.headers).length === 0 ? null : Buffer.from(JSON.stringify(r.headers));
  const keyLen = r.key === null ? 0 : r.key.length;
  const bodyLen = 8 + 8 + 4 + keyLen + 4 + r.value.length + 4 + (headers?.length ?? 0);
  const buf = Buffer.allocUnsafe(frameHeaderBytes + bodyLen);
  let p = frameHeaderBytes;
  buf.writeDoubleBE(r.offset, p);
  buf.writeDoubleBE(r.timestamp, p + 8);
  buf.writeInt32BE(r.key === null ? -1 : keyLen, p + 16);
  p += 20;
  if (r.key !== null) p += r.key.copy(buf, p);
  buf.writeUInt32BE(r.value.length, p);
  p += 4 + r.value.copy(buf, p + 4);
  buf.writeUInt32BE(headers?.length ?? 0, p);
  if (headers !== null) headers.copy(buf, p + 4);
  buf.writeUInt32BE(bodyLen, 0);
  buf.writeUInt32BE(crc32(buf.subarray(frameHeaderBytes)), 4);
  return buf;
}

export type FrameRead =
  | { kind: 'frame'; record: Omit<ConsumedRecord, 'topic' | 'partition'>; size: number }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

/** Reads the frame at `pos` of `buf`; `incomplete` when the buffer ends inside it. */
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
  const key = keyLen < 0 ? null : Buffer.from(body.subarray(p, (p += keyLen)));
  const valueLen = body.readUInt32BE(p);
  const value = Buffer.from(body.subarray(p + 4, (p += 4 + valueLen)));
  const headersLen = body.readUInt32BE(p);
  const headers =
    headersLen === 0
      ? {}
      : (JSON.parse(body.subarray(p + 4, p + 4 + headersLen).toString('utf8')) as Record<string, string>);
  return {
    kind: 'frame',
    record: { offset, timestamp, key, value, headers },
    size: frameHeaderBytes + bodyLen,
  };
}
