/** A segment file of one partition: recovery scan, sparse index, positional reads. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FareboxError } from '../../errors/index.ts';
import { decodeFrame } from './frame.ts';

const indexEveryBytes = 4096;

export interface Segment {
  base: number;
  file: string;
  /** Bytes readers may see (written, and fsynced when the policy says so). */
  size: number;
  /** Next offset after the last record in this segment. */
  next: number;
  maxTimestamp: number;
  /** Sparse index: offsets[i] starts at positions[i]. */
  offsets: number[];
  positions: number[];
  /** Opened on first read; a promise, so readers racing to open it share one handle. */
  reader: Promise<fs.FileHandle> | undefined;
}

export const segmentFile = (dir: string, base: number): string =>
  path.join(dir, `${String(base).padStart(20, '0')}.log`);

export function newSegment(dir: string, base: number): Segment {
  return {
    base,
    file: segmentFile(dir, base),
    size: 0,
    next: base,
    maxTimestamp: 0,
    offsets: [],
    positions: [],
    reader: undefined,
  };
}

export function indexFrame(
  seg: Segment,
  offset: number,
  position: number,
  timestamp: number,
  size: number,
): void {
  const lastPos = seg.positions[seg.positions.length - 1];
  if (lastPos === undefined || position - lastPos >= indexEveryBytes) {
    seg.offsets.push(offset);
    seg.positions.push(position);
  }
  seg.next = offset + 1;
  if (timestamp > seg.maxTimestamp) seg.maxTimestamp = timestamp;
  seg.size = position + size;
}

/**
 * Scans a segment from disk. A bad tail on the last segment is truncated (a torn write after a crash);
 * damage anywhere in a sealed segment is a log_corrupt error naming the file and byte position.
 */
export async function recoverSegment(
  dir: string,
  base: number,
  isLast: boolean,
): Promise<{ seg: Segment; truncatedBytes: number }> {
  const seg = newSegment(dir, base);
  const buf = await fs.readFile(seg.file);
  let pos = 0;
  while (pos < buf.length) {
    const f = decodeFrame(buf, pos);
    const problem =
      f.kind === 'corrupt'
        ? f.reason
        : f.kind === 'incomplete'
          ? 'a torn frame'
          : f.record.offset !== seg.next
            ? `offset ${f.record.offset} where ${seg.next} was expected`
            : undefined;
    if (problem !== undefined || f.kind !== 'frame') {
      if (!isLast)
        throw new FareboxError(
          'log_corrupt',
          `segment ${seg.file} is damaged at byte ${pos}: ${problem ?? 'unreadable'}`,
          {
            where: `${seg.file}:${pos}`,
            hint: 'restore the log directory from a backup, or move this partition away to start it empty',
          },
        );
      await fs.truncate(seg.file, pos);
      return { seg, truncatedBytes: buf.length - pos };
    }
    indexFrame(seg, f.record.offset, pos, f.record.timestamp, f.size);
    pos += f.size;
  }
  return { seg, truncatedBytes: 0 };
}

/** Byte position to start reading at for `offset` (at or before it). */
export function positionFor(seg: Segment, offset: number): number {
  let lo = 0;
  let hi = seg.offsets.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((seg.offsets[mid] as number) <= offset) {
      best = seg.positions[mid] as number;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

export async function readAt(seg: Segment, position: number, length: number): Promise<Buffer> {
  seg.reader ??= fs.open(seg.file, 'r');
  const reader = await seg.reader;
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await reader.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
