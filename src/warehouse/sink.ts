/**
 * The sink: consume → pre-load → batched inserts into the raw tables and dead_letters → ledger → commit.
 *
 * Exactly-once for readers: each batch is inserted with a dedup token derived from its offsets, then a
 * load_ledger row per partition range, and only then are the offsets committed. On start the sink moves
 * its committed offsets up to the ledger's high-water mark, so a crash between insert and commit does not
 * load a batch twice; a crash between data insert and ledger insert re-inserts rows that the raw tables'
 * ReplacingMergeTree (by event_id) and the FINAL reader views absorb. The ledger thus counts every log
 * record exactly once: loaded + dead-lettered = consumed.
 */
import { createHash } from 'node:crypto';
import { contracts, deadLetterTopic, eventTypes, type EventType } from '../contracts/index.ts';
import type { SinkConfig } from '../config/index.ts';
import { wrapError } from '../errors/index.ts';
import type { ConsumedRecord, EventLog, LogConsumer, PartitionOffset } from '../log/index.ts';
import type { DeadLetter, Preload, Row } from '../preload/index.ts';
import type { Warehouse } from './connection.ts';
import { rawTables } from './migrations.ts';

export interface SinkStats {
  consumed: number;
  loaded: Record<EventType, number>;
  deadLettered: Record<EventType, number>;
  batches: number;
  lastBatchMs: number;
  /** Time spent per stage, in milliseconds, since start. */
  timings: { poll: number; preload: number; insert: number; commit: number };
}

/** Offsets a batch made durable, passed to onBatch. */
export interface CommittedRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
}

export interface SinkDeps {
  log: EventLog;
  warehouse: Warehouse;
  preload: Preload;
  /** Called after each committed batch, e.g. to update a status line. */
  onBatch?: (stats: SinkStats, committed: CommittedRange[]) => void;
}

export interface Sink {
  /** Consumes until the signal aborts, then flushes, commits and returns. */
  run(signal: AbortSignal): Promise<void>;
  stats(): SinkStats;
}

interface Range {
  topic: string;
  partition: number;
  first: number;
  last: number;
  loaded: number;
  dead: number;
}

const zero = (): Record<EventType, number> => ({
  trip_completed: 0,
  vehicle_location: 0,
  driver_document: 0,
});
const nowText = (): string => new Date().toISOString().replace('T', ' ').slice(0, 23);

/** Moves the group's committed offsets up to what the warehouse already holds. */
export async function catchUpToLedger(log: EventLog, warehouse: Warehouse, group: string, topics: string[]) {
  const result = await warehouse.client.query({
    query: `SELECT topic, partition, max(last_offset) AS last FROM load_ledger FINAL
            WHERE topic IN ({topics:Array(String)}) GROUP BY topic, partition`,
    query_params: { topics },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ topic: string; partition: number; last: string }>();
  for (const topic of topics) {
    const committed = await log.committedOffsets(group, topic);
    const ahead: PartitionOffset[] = [];
    for (const r of rows.filter((x) => x.topic === topic)) {
      const next = Number(r.last) + 1;
      if (next > (committed[Number(r.partition)] ?? 0))
        ahead.push({ topic, partition: Number(r.partition), offset: next });
    }
    if (ahead.length > 0) await log.commitOffsets(group, ahead);
  }
}

async function withRetry<T>(what: string, f: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const err = wrapError('warehouse', what, e, { retriable: true });
      if (!err.retriable || attempt >= 8 || signal.aborted) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5000)));
    }
  }
}

export function createSink(config: SinkConfig, deps: SinkDeps): Sink {
  const { log, warehouse, preload } = deps;
  const topics = eventTypes.map((t) => contracts[t].topic);
  const stats: SinkStats = {
    consumed: 0,
    loaded: zero(),
    deadLettered: zero(),
    batches: 0,
    lastBatchMs: 0,
    timings: { poll: 0, preload: 0, insert: 0, commit: 0 },
  };
  let rows = new Map<EventType, Row[]>();
  let deadLetters: DeadLetter[] = [];
  let ranges = new Map<string, Range>();
  let buffered = 0;
  let consumer: LogConsumer | undefined;

  const track = (r: ConsumedRecord, ok: boolean): void => {
    const id = `${r.topic}/${r.partition}`;
    const range = ranges.get(id) ?? {
      topic: r.topic,
      partition: r.partition,
      first: r.offset,
      last: r.offset,
      loaded: 0,
      dead: 0,
    };
    range.last = r.offset;
    if (ok) range.loaded++;
    else range.dead++;
    ranges.set(id, range);
  };

  const flush = async (signal: AbortSignal): Promise<void> => {
    if (buffered === 0 || consumer === undefined) return;
    const started = Date.now();
    const batchRanges = [...ranges.values()];
    const token = createHash('sha256')
      .update(batchRanges.map((r) => `${r.topic}/${r.partition}/${r.first}-${r.last}`).join(','))
      .digest('hex');
    const settings = (table: string) => ({ insert_deduplication_token: `${config.group}:${table}:${token}` });
    for (const [type, values] of rows) {
      const table = rawTables[type];
      await withRetry(
        `insert into ${table}`,
        () =>
          warehouse.client.insert({
            table,
            values,
            format: 'JSONEachRow',
            clickhouse_settings: settings(table),
          }),
        signal,
      );
    }
    if (deadLetters.length > 0) {
      const values = deadLetters;
      await withRetry(
        'insert into dead_letters',
        () =>
          warehouse.client.insert({
            table: 'dead_letters',
            values,
            format: 'JSONEachRow',
            clickhouse_settings: settings('dead_letters'),
          }),
        signal,
      );
      await log.produce(
        deadLetterTopic,
        values.map((d) => ({
          key: Buffer.from(`${d.topic}/${d.partition}/${d.offset}`),
          value: Buffer.from(JSON.stringify(d)),
          headers: { 'farebox-stage': d.stage, 'farebox-source-topic': d.topic },
        })),
      );
    }
    const loadedAt = nowText();
    const ledger = batchRanges.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      first_offset: r.first,
      last_offset: r.last,
      loaded: r.loaded,
      dead_lettered: r.dead,
      loaded_at: loadedAt,
    }));
    await withRetry(
      'insert into load_ledger',
      () =>
        warehouse.client.insert({
          table: 'load_ledger',
          values: ledger,
          format: 'JSONEachRow',
          clickhouse_settings: settings('load_ledger'),
        }),
      signal,
    );
    const committing = Date.now();
    stats.timings.insert += committing - started;
    await consumer.commit(
      batchRanges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.last + 1 })),
    );
    for (const [type, values] of rows) stats.loaded[type] += values.length;
    for (const d of deadLetters) stats.deadLettered[d.event_type as EventType] += 1;
    stats.batches++;
    stats.timings.commit += Date.now() - committing;
    stats.lastBatchMs = Date.now() - started;
    rows = new Map();
    deadLetters = [];
    ranges = new Map();
    buffered = 0;
    deps.onBatch?.(stats, batchRanges);
  };

  return {
    stats: () => stats,
    async run(signal) {
      await catchUpToLedger(log, warehouse, config.group, topics);
      const never = new AbortController().signal;
      consumer = await log.consumer({
        group: config.group,
        topics,
        onPartitionsRevoked: () => flush(never),
      });
      let firstBufferedAt = 0;
      try {
        while (!signal.aborted) {
          const wait =
            buffered === 0 ? config.batchMs : Math.max(0, firstBufferedAt + config.batchMs - Date.now());
          const polling = Date.now();
          const records = await consumer.poll({
            maxRecords: Math.max(1, config.batchRows - buffered),
            timeoutMs: Math.min(wait, 200),
          });
          const processing = Date.now();
          stats.timings.poll += processing - polling;
          for (const record of records) {
            const routed = await preload.process(record);
            if (routed.ok) {
              const list = rows.get(routed.type) ?? [];
              list.push(routed.row);
              rows.set(routed.type, list);
            } else deadLetters.push(routed.deadLetter);
            track(record, routed.ok);
            if (buffered++ === 0) firstBufferedAt = Date.now();
            stats.consumed++;
          }
          stats.timings.preload += Date.now() - processing;
          if (
            buffered >= config.batchRows ||
            (buffered > 0 && Date.now() - firstBufferedAt >= config.batchMs)
          )
            await flush(never);
        }
        await flush(never);
      } finally {
        await consumer.close();
      }
    },
  };
}
