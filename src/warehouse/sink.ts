/**
 * The sink: consume → pre-load → batched inserts into the raw tables and dead_letters → ledger → commit.
 *
 * Exactly-once for readers: each batch is inserted with a dedup token derived from its offsets, then a
 * load_ledger row per partition range, and only then are the offsets committed. On start the sink moves
 * its committed offsets up to the ledger's high-water mark, so a crash between insert and commit does not
 * load a batch twice; a crash between data insert and ledger insert re-inserts rows that the raw tables'
 * ReplacingMergeTree (by event_id) and the FINAL reader views absorb. The ledger thus counts every log
 * record exactly once: loaded + dead-lettered = consumed.
 *
 * Pipelined: while one batch is being inserted (on ClickHouse's threads), the next is pre-loaded (on a
 * worker thread) and the one after is polled. Batches are loaded and committed strictly in order, and a
 * batch that cannot be loaded stops every later one, so a commit never skips an unloaded record.
 */
import { createHash } from 'node:crypto';
import { contracts, deadLetterTopic, eventTypes, type EventType } from '../contracts/index.ts';
import type { SinkConfig } from '../config/index.ts';
import { isFareboxError, wrapError } from '../errors/index.ts';
import type { ConsumedRecord, EventLog, LogConsumer, PartitionOffset } from '../log/index.ts';
import { encodeObjects, type DeadLetter, type Preload, type PreloadedBatch } from '../preload/index.ts';
import type { Warehouse } from './connection.ts';
import { sqlString } from './dialect.ts';
import { rawTables } from './migrations.ts';

export interface SinkStats {
  consumed: number;
  loaded: Record<EventType, number>;
  deadLettered: Record<EventType, number>;
  batches: number;
  lastBatchMs: number;
  /** Time spent per stage, in milliseconds, since start (stages overlap: they run on different threads). */
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
  /** Called before a failed step is tried again (the warehouse is down, say), e.g. to log it. */
  onRetry?: (what: string, attempt: number, error: Error) => void;
}

export interface Sink {
  /** Consumes until the signal aborts, then flushes, commits and returns. */
  run(signal: AbortSignal): Promise<void>;
  stats(): SinkStats;
}

interface Range extends CommittedRange {
  loaded: number;
  dead: number;
}

/** Batches pre-loaded or loading at once: one inserting, one being pre-loaded. */
const maxInFlight = 2;

const deadLetterColumns = [
  'topic',
  'partition',
  'offset',
  'event_type',
  'stage',
  'reason',
  'raw_base64',
  'key',
  'headers',
  'schema_id',
  'event_id',
  'received_at',
] as const satisfies readonly (keyof DeadLetter)[];
const ledgerColumns = [
  'topic',
  'partition',
  'first_offset',
  'last_offset',
  'loaded',
  'dead_lettered',
  'loaded_at',
] as const;

const zero = (): Record<EventType, number> => ({
  trip_completed: 0,
  vehicle_location: 0,
  driver_document: 0,
});
const nowText = (): string => new Date().toISOString().replace('T', ' ').slice(0, 23);
const encoder = new TextEncoder();
const body = (columns: readonly string[], rows: readonly object[]): Uint8Array =>
  encoder.encode(encodeObjects(columns, rows));

/** Moves the group's committed offsets up to what the warehouse already holds. */
export async function catchUpToLedger(log: EventLog, warehouse: Warehouse, group: string, topics: string[]) {
  const result = await warehouse.client.query({
    query: `SELECT topic, partition, max(last_offset) AS last FROM load_ledger FINAL
            WHERE topic IN (${topics.map(sqlString).join(', ')}) GROUP BY topic, partition`,
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
    if (ahead.length === 0) continue;
    try {
      await log.commitOffsets(group, ahead);
    } catch (e) {
      // Another sink of the group is consuming (Kafka refuses outside commits then). Its commits are
      // current; a batch loaded but not committed by a crashed member is loaded again, and the raw
      // tables' event_id dedup and the ledger's range keys absorb it.
      if (isFareboxError(e, 'log_group_active')) return;
      throw e;
    }
  }
}

/**
 * Retries what failed for a reason that may pass (the warehouse restarting, a network blip) with backoff,
 * for up to `budgetMs`; the batch waits meanwhile, and nothing later is committed before it.
 */
async function withRetry<T>(
  what: string,
  f: () => Promise<T>,
  budgetMs: number,
  onRetry?: (what: string, attempt: number, error: Error) => void,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const err = wrapError('warehouse', what, e, { retriable: true });
      if (!err.retriable || Date.now() >= deadline) throw err;
      onRetry?.(what, attempt, err);
      await new Promise((r) =>
        setTimeout(r, Math.min(100 * 2 ** attempt, 5000, Math.max(0, deadline - Date.now()))),
      );
    }
  }
}

/** Per partition: the offsets a batch spans and how many of them were loaded or dead-lettered. */
function rangesOf(records: readonly ConsumedRecord[], loaded: readonly boolean[]): Range[] {
  const ranges = new Map<string, Range>();
  records.forEach((r, i) => {
    const id = `${r.topic}/${r.partition}`;
    let range = ranges.get(id);
    if (range === undefined) {
      range = { topic: r.topic, partition: r.partition, first: r.offset, last: r.offset, loaded: 0, dead: 0 };
      ranges.set(id, range);
    }
    range.last = r.offset;
    if (loaded[i] === true) range.loaded++;
    else range.dead++;
  });
  return [...ranges.values()];
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

  /** Inserts one pre-loaded batch, records it in the ledger and commits its offsets. */
  const load = async (
    consumer: LogConsumer,
    records: readonly ConsumedRecord[],
    batch: PreloadedBatch,
    dispatchedAt: number,
  ): Promise<void> => {
    const started = Date.now();
    const ranges = rangesOf(records, batch.loaded);
    const token = createHash('sha256')
      .update(ranges.map((r) => `${r.topic}/${r.partition}/${r.first}-${r.last}`).join(','))
      .digest('hex');
    const insert = (table: string, columns: readonly string[], data: Uint8Array) =>
      withRetry(
        `insert into ${table}`,
        () =>
          warehouse.insertEncoded({
            table,
            columns,
            body: data,
            settings: { insert_deduplication_token: `${config.group}:${table}:${token}` },
          }),
        config.retrySeconds * 1000,
        deps.onRetry,
      );
    for (const t of batch.tables) await insert(rawTables[t.type], t.columns, t.body);
    const dead = batch.deadLetters;
    if (dead.length > 0) {
      await insert('dead_letters', deadLetterColumns, body(deadLetterColumns, dead));
      await log.produce(
        deadLetterTopic,
        dead.map((d) => ({
          key: Buffer.from(`${d.topic}/${d.partition}/${d.offset}`),
          value: Buffer.from(JSON.stringify(d)),
          headers: { 'farebox-stage': d.stage, 'farebox-source-topic': d.topic },
        })),
      );
    }
    const loadedAt = nowText();
    const ledger = ranges.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      first_offset: r.first,
      last_offset: r.last,
      loaded: r.loaded,
      dead_lettered: r.dead,
      loaded_at: loadedAt,
    }));
    await insert('load_ledger', ledgerColumns, body(ledgerColumns, ledger));
    const committing = Date.now();
    stats.timings.insert += committing - started;
    await consumer.commit(
      ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.last + 1 })),
    );
    for (const t of batch.tables) stats.loaded[t.type] += t.rows;
    for (const d of dead) stats.deadLettered[d.event_type as EventType] += 1;
    stats.consumed += records.length;
    stats.batches++;
    stats.timings.commit += Date.now() - committing;
    stats.timings.preload += batch.busyMs;
    stats.lastBatchMs = Date.now() - dispatchedAt;
    deps.onBatch?.(stats, ranges);
  };

  return {
    stats: () => stats,
    async run(signal) {
      await catchUpToLedger(log, warehouse, config.group, topics);
      let buffer: ConsumedRecord[] = [];
      let firstBufferedAt = 0;
      /** Resolves when every batch dispatched so far is committed; rejects if one could not be. */
      let loaded: Promise<void> = Promise.resolve();
      const inFlight: Promise<void>[] = [];
      let failed = false;

      const dispatch = (consumer: LogConsumer): void => {
        if (buffer.length === 0) return;
        const records = buffer;
        buffer = [];
        const dispatchedAt = Date.now();
        const preloaded = withRetry(
          'pre-load a batch',
          () => preload.processBatch(records),
          config.retrySeconds * 1000,
          deps.onRetry,
        );
        preloaded.catch(() => undefined);
        loaded = loaded.then(async () => load(consumer, records, await preloaded, dispatchedAt));
        loaded.catch(() => {
          failed = true;
        });
        const done = loaded.catch(() => undefined);
        inFlight.push(done);
        void done.then(() => inFlight.splice(inFlight.indexOf(done), 1));
      };

      // A revocation may come while the consumer is still joining: then nothing is buffered yet.
      const joined: { consumer?: LogConsumer } = {};
      const consumer = await log.consumer({
        group: config.group,
        topics,
        onPartitionsRevoked: async () => {
          if (joined.consumer !== undefined) dispatch(joined.consumer);
          await loaded;
        },
      });
      joined.consumer = consumer;
      try {
        while (!signal.aborted && !failed) {
          const wait =
            buffer.length === 0 ? config.batchMs : Math.max(0, firstBufferedAt + config.batchMs - Date.now());
          const polling = Date.now();
          const records = await consumer.poll({
            maxRecords: Math.max(1, config.batchRows - buffer.length),
            timeoutMs: Math.min(wait, 200),
          });
          stats.timings.poll += Date.now() - polling;
          if (records.length > 0) {
            if (buffer.length === 0) firstBufferedAt = Date.now();
            for (const r of records) buffer.push(r);
          }
          if (
            buffer.length >= config.batchRows ||
            (buffer.length > 0 && Date.now() - firstBufferedAt >= config.batchMs)
          ) {
            dispatch(consumer);
            while (inFlight.length >= maxInFlight) await inFlight[0];
          }
        }
        if (!failed) dispatch(consumer);
        await loaded;
      } finally {
        await consumer.close();
      }
    },
  };
}
