/** One partition: segments on disk, group-committed appends, reads by offset, retention. */
import fs from 'node:fs/promises';
import type { FsyncPolicy } from '../../config/index.ts';
import { wrapError } from '../../errors/index.ts';
import type { ConsumedRecord } from '../types.ts';
import { decodeFrame, encodeFrame, frameHeaderBytes, type EncodedFrame } from './frame.ts';
import { indexFrame, newSegment, positionFor, readAt, recoverSegment, type Segment } from './segment.ts';

export interface AppendInput {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

interface Waiting {
  frames: EncodedFrame[];
  first: number;
  resolve: (firstOffset: number) => void;
  reject: (e: unknown) => void;
}

export interface Partition {
  readonly topic: string;
  readonly id: number;
  startOffset(): number;
  /** Next offset to be written; records below it are readable once their append resolved. */
  endOffset(): number;
  /** Resolves with the offset of the first record once all are written (and fsynced under 'always'). */
  append(records: AppendInput[]): Promise<number>;
  read(from: number, maxRecords: number, maxBytes: number): Promise<ConsumedRecord[]>;
  sync(): Promise<void>;
  applyRetention(
    now: number,
    retentionMs: number | undefined,
    retentionBytes: number | undefined,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface PartitionOptions {
  dir: string;
  topic: string;
  id: number;
  fsync: FsyncPolicy;
  segmentBytes: number;
  onAppend: () => void;
  onTruncate: (file: string, bytes: number) => void;
}

export async function openPartition(o: PartitionOptions): Promise<Partition> {
  await fs.mkdir(o.dir, { recursive: true });
  const bases = (await fs.readdir(o.dir))
    .filter((f) => /^\d{20}\.log$/.test(f))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (const [i, base] of bases.entries()) {
    const { seg, truncatedBytes } = await recoverSegment(o.dir, base, i === bases.length - 1);
    if (truncatedBytes > 0) o.onTruncate(seg.file, truncatedBytes);
    segments.push(seg);
  }
  if (segments.length === 0) segments.push(newSegment(o.dir, 0));
  let active = segments[segments.length - 1] as Segment;
  let writer = await fs.open(active.file, 'a');
  let nextOffset = active.next;
  let queue: Waiting[] = [];
  let flushing = false;
  let dirty = false;

  const roll = async (base: number): Promise<void> => {
    await writer.sync();
    await writer.close();
    active = newSegment(o.dir, base);
    segments.push(active);
    writer = await fs.open(active.file, 'a');
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        let offset = (batch[0] as Waiting).first;
        let chunk: EncodedFrame[] = [];
        let chunkBytes = 0;
        const writeChunk = async (): Promise<void> => {
          if (chunk.length === 0) return;
          // writev hands the frames to the kernel as they are (libuv writes them all, in order).
          const { bytesWritten } = await writer.writev(chunk.flatMap((f) => f.parts));
          if (bytesWritten !== chunkBytes)
            throw new Error(`short write: ${bytesWritten} of ${chunkBytes} bytes`);
          if (o.fsync.mode === 'always') await writer.datasync();
          else dirty = true;
          let pos = active.size;
          for (const f of chunk) {
            indexFrame(active, offset++, pos, f.timestamp, f.size);
            pos += f.size;
          }
          chunk = [];
          chunkBytes = 0;
        };
        for (const f of batch.flatMap((w) => w.frames)) {
          if (active.size + chunkBytes > 0 && active.size + chunkBytes + f.size > o.segmentBytes) {
            await writeChunk();
            await roll(offset);
          }
          chunk.push(f);
          chunkBytes += f.size;
        }
        await writeChunk();
        for (const w of batch) w.resolve(w.first);
      } catch (e) {
        const err = wrapError('log_io', `cannot append to ${o.topic}/${o.id}`, e, { retriable: false });
        for (const w of batch) w.reject(err);
      }
      o.onAppend();
    }
    flushing = false;
  };

  const findSegment = (offset: number): Segment | undefined => {
    let lo = 0;
    let hi = segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segments[mid] as Segment;
      if (s.base <= offset) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };

  return {
    topic: o.topic,
    id: o.id,
    startOffset: () => (segments[0] as Segment).base,
    endOffset: () => active.next,
    append(records) {
      const first = nextOffset;
      const frames = records.map((r) => encodeFrame({ ...r, offset: nextOffset++ }));
      return new Promise<number>((resolve, reject) => {
        queue.push({ frames, first, resolve, reject });
        if (!flushing) void flush();
      });
    },
    async read(from, maxRecords, maxBytes) {
      const start = Math.max(from, (segments[0] as Segment).base);
      const seg = findSegment(start);
      if (seg === undefined || start >= seg.next) return [];
      let pos = positionFor(seg, start);
      const out: ConsumedRecord[] = [];
      let budget = maxBytes;
      while (out.length < maxRecords && pos < seg.size && budget > 0) {
        const chunk = await readAt(seg, pos, Math.min(seg.size - pos, Math.max(budget, 64 * 1024)));
        let p = 0;
        for (;;) {
          const f = decodeFrame(chunk, p);
          if (f.kind !== 'frame') {
            if (f.kind === 'incomplete' && p === 0) {
              const need =
                chunk.length >= frameHeaderBytes
                  ? chunk.readUInt32BE(0) + frameHeaderBytes
                  : frameHeaderBytes;
              budget = Math.max(budget, need);
            }
            break;
          }
          p += f.size;
          if (f.record.offset >= start) {
            out.push({ topic: o.topic, partition: o.id, ...f.record });
            budget -= f.size;
            if (out.length >= maxRecords || budget <= 0) break;
          }
        }
        if (p === 0 && chunk.length >= seg.size - pos) break;
        pos += p;
      }
      return out;
    },
    async sync() {
      if (!dirty) return;
      dirty = false;
      await writer.datasync();
    },
    async applyRetention(now, retentionMs, retentionBytes) {
      let total = segments.reduce((a, s) => a + s.size, 0);
      while (segments.length > 1) {
        const oldest = segments[0] as Segment;
        const tooOld = retentionMs !== undefined && oldest.maxTimestamp < now - retentionMs;
        const tooBig = retentionBytes !== undefined && total > retentionBytes;
        if (!tooOld && !tooBig) break;
        segments.shift();
        total -= oldest.size;
        await (await oldest.reader)?.close();
        await fs.rm(oldest.file, { force: true });
      }
    },
    async close() {
      while (flushing || queue.length > 0) await new Promise((r) => setTimeout(r, 1));
      await writer.sync();
      await writer.close();
      for (const s of segments) await (await s.reader)?.close();
    },
  };
}
