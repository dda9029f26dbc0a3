/**
 * Batches for the pre-load core: records packed into a few typed arrays (cheap to hand to a worker
 * thread, no per-record cloning), decided, and encoded into one insert body per event type.
 */
import type { EventType } from '../contracts/index.ts';
import type { ConsumedRecord } from '../log/index.ts';
import { decide } from './decide.ts';
import { rowColumns } from './rows.ts';
import type { CompiledSchemas } from './schemas.ts';
import type { EncodedRows, Row, Stage } from './types.ts';

export interface PackedBatch {
  topics: string[];
  /** Per record: index into `topics`. */
  topicIndex: Uint16Array;
  partitions: Uint32Array;
  offsets: Float64Array;
  /**
   * The memory the values live in, as read from the log: a few large chunks rather than one small
   * buffer per record, so handing a batch to a worker copies a few blocks instead of every value.
   */
  buffers: ArrayBuffer[];
  /** Per record: which buffer holds its value, and where. */
  bufferIndex: Uint16Array;
  starts: Uint32Array;
  lengths: Uint32Array;
  /** Milliseconds since the epoch. */
  ingestedAt: number;
}

export interface DeadVerdict {
  /** Index of the record in the packed batch. */
  index: number;
  stage: Stage;
  reason: string;
  schemaId: number | null;
  eventId: string | null;
}

export interface DecidedBatch {
  tables: EncodedRows[];
  dead: DeadVerdict[];
  busyMs: number;
}

/** Packs records (values already resolved from any claim check) by reference to their memory. */
export function packRecords(
  records: readonly { record: ConsumedRecord; value: Uint8Array }[],
  ingestedAt: number,
): PackedBatch {
  const topics: string[] = [];
  const buffers: ArrayBuffer[] = [];
  const n = records.length;
  const topicIndex = new Uint16Array(n);
  const partitions = new Uint32Array(n);
  const offsets = new Float64Array(n);
  const bufferIndex = new Uint16Array(n);
  const starts = new Uint32Array(n);
  const lengths = new Uint32Array(n);
  let lastBuffer: ArrayBufferLike | undefined;
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    const { record, value } = records[i] as { record: ConsumedRecord; value: Uint8Array };
    let t = topics.indexOf(record.topic);
    if (t < 0) t = topics.push(record.topic) - 1;
    topicIndex[i] = t;
    partitions[i] = record.partition;
    offsets[i] = record.offset;
    if (value.buffer !== lastBuffer) {
      lastBuffer = value.buffer;
      lastIndex = buffers.indexOf(value.buffer as ArrayBuffer);
      if (lastIndex < 0) lastIndex = buffers.push(value.buffer as ArrayBuffer) - 1;
    }
    bufferIndex[i] = lastIndex;
    starts[i] = value.byteOffset;
    lengths[i] = value.byteLength;
  }
  return { topics, topicIndex, partitions, offsets, buffers, bufferIndex, starts, lengths, ingestedAt };
}

/** Buffers of a packed batch that can be moved to a worker rather than copied (not the values'). */
export function packedTransfer(b: PackedBatch): ArrayBuffer[] {
  return [b.topicIndex, b.partitions, b.offsets, b.bufferIndex, b.starts, b.lengths].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

const encoder = new TextEncoder();

/**
 * A growing JSONCompactEachRow body. Each row is written out as soon as it is decided, so rows die
 * young (no batch-long retention that the garbage collector would have to promote and mark).
 */
class BodyWriter {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;
  rows = 0;

  add(row: Row): void {
    const line = JSON.stringify(row);
    // UTF-8 takes at most 3 bytes per UTF-16 unit, plus the newline.
    const need = this.length + line.length * 3 + 1;
    if (need > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(need, this.bytes.byteLength * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    if (this.rows > 0) this.bytes[this.length++] = 10;
    this.length += encoder.encodeInto(line, this.bytes.subarray(this.length)).written;
    this.rows++;
  }

  /** The body, a view over a buffer of its own (transferable). */
  body(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** Encodes rows grouped by event type; each body owns its ArrayBuffer (transferable). */
export function encodeTables(rows: Map<EventType, Row[]>): EncodedRows[] {
  return [...rows].map(([type, list]) => {
    const writer = new BodyWriter();
    for (const row of list) writer.add(row);
    return { type, columns: rowColumns[type], rows: writer.rows, body: writer.body() };
  });
}

/** Decides every record of a packed batch; `schemas` must hold every schema id the batch names. */
export function decideBatch(b: PackedBatch, schemas: CompiledSchemas): DecidedBatch {
  const started = performance.now();
  const writers = new Map<EventType, BodyWriter>();
  const dead: DeadVerdict[] = [];
  const views = b.buffers.map((buf) => new Uint8Array(buf));
  for (let i = 0; i < b.lengths.length; i++) {
    const start = b.starts[i] as number;
    const value = (views[b.bufferIndex[i] as number] as Uint8Array).subarray(
      start,
      start + (b.lengths[i] as number),
    );
    const source = {
      topic: b.topics[b.topicIndex[i] as number] as string,
      partition: b.partitions[i] as number,
      offset: b.offsets[i] as number,
    };
    const v = decide(source, value, b.ingestedAt, schemas.get);
    if (v.ok) {
      let writer = writers.get(v.type);
      if (writer === undefined) writers.set(v.type, (writer = new BodyWriter()));
      writer.add(v.row);
    } else
      dead.push({ index: i, stage: v.stage, reason: v.reason, schemaId: v.schemaId, eventId: v.eventId });
  }
  const tables = [...writers].map(([type, w]) => ({
    type,
    columns: rowColumns[type],
    rows: w.rows,
    body: w.body(),
  }));
  return { tables, dead, busyMs: performance.now() - started };
}
