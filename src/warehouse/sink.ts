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
 *
 * When the log fails (a broker restarts, the group rebalances under it), the sink lets its batches in
 * flight finish, leaves the group and joins again, for up to FAREBOX_SINK_RETRY_SECONDS without progress.
 * What was loaded but not committed is read again and absorbed as above. A batch polled before the member
 * joined the group again (the group rebalanced without waiting for it) is neither put in the ledger nor
 * committed: the partitions' new owner reads it again, and two members' ledger rows never overlap.
 */
import { createHash } from 'node:crypto';
import { contracts, deadLetterTopic, eventTypes, type EventType } from '../contracts/index.ts';
import type { SinkConfig } from '../config/index.ts';
import { isFareboxError } from '../errors/index.ts';
import type { ConsumedRecord, EventLog, LogConsumer } from '../log/index.ts';
import type { Preload, PreloadedBatch } from '../preload/index.ts';
import type { Warehouse } from './connection.ts';
import { rawTables } from './migrations.ts';
import {
  body,
  catchUpToLedger,
  deadLetterColumns,
  ledgerColumns,
  nowText,
  rangesOf,
  sleep,
  withRetry,
  type CommittedRange,
} from './sink-ledger.ts';

export type { CommittedRange } from './sink-ledger.ts';
export { catchUpToLedger } from './sink-ledger.ts';

export interface SinkStats {
  consumed: number;
  loaded: Record<EventType, number>;
  deadLettered: Record<EventType, number>;
  batches: number;
  /** Records loaded but left uncounted and uncommitted because the group rebalanced meanwhile. */
  fenced: number;
  lastBatchMs: number;
  /** Time spent per stage, in milliseconds, since start (stages overlap: they run on different threads). */
  timings: { poll: number; preload: number; insert: number; commit: number };
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

/** Batches pre-loaded or loading at once: one inserting, one being pre-loaded. */
const maxInFlight = 2;

const zero = (): Record<EventType, number> => ({
  trip_completed: 0,
  vehicle_location: 0,
  driver_document: 0,
});

export function createSink(config: SinkConfig, deps: SinkDeps): Sink {
  const { log, warehouse, preload } = deps;
  const topics = eventTypes.map((t) => contracts[t].topic);
  const stats: SinkStats = {
    consumed: 0,
    loaded: zero(),
    deadLettered: zero(),
    batches: 0,
    fenced: 0,
    lastBatchMs: 0,
    timings: { poll: 0, preload: 0, insert: 0, commit: 0 },
  };

  const fenced = (records: number): void => {
    stats.fenced += records;
  };

  /** Inserts one pre-loaded batch, records it in the ledger and commits its offsets. */
  const load = async (
    consumer: LogConsumer,
    records: readonly ConsumedRecord[],
    batch: PreloadedBatch,
    dispatchedAt: number,
    generation: number,
  ): Promise<void> => {
    const started = Date.now();
    /**
     * False once the group has handed out partitions again since the batch was polled: the batch's new owner
     * reads it again from the committed offsets, so this member must neither count it nor commit it.
     */
    const current = (): boolean => consumer.generation() === generation;
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
    if (!current()) return fenced(records.length);
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
    if (!current()) return fenced(records.length);
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

  /** One membership of the group: consume until the signal aborts or the log fails. */
  const runMember = async (signal: AbortSignal): Promise<void> => {
    await catchUpToLedger(log, warehouse, config.group, topics);
    let buffer: ConsumedRecord[] = [];
    let firstBufferedAt = 0;
    /** The consumer generation the buffered records were polled in. */
    let bufferGeneration = 0;
    /** Resolves when every batch dispatched so far is committed; rejects if one could not be. */
    let loaded: Promise<void> = Promise.resolve();
    const inFlight: Promise<void>[] = [];
    let failed = false;

    const dispatch = (consumer: LogConsumer): void => {
      if (buffer.length === 0) return;
      const records = buffer;
      const generation = bufferGeneration;
      buffer = [];
      const dispatchedAt = Date.now();
      const preloaded = withRetry(
        'pre-load a batch',
        () => preload.processBatch(records),
        config.retrySeconds * 1000,
        deps.onRetry,
      );
      preloaded.catch(() => undefined);
      loaded = loaded.then(async () => load(consumer, records, await preloaded, dispatchedAt, generation));
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
          // Records polled before the group handed out partitions again are read anew from the committed
          // offsets by their owner: drop them.
          if (consumer.generation() !== bufferGeneration) {
            fenced(buffer.length);
            buffer = [];
            bufferGeneration = consumer.generation();
          }
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
      // After a failure, batches already dispatched still finish (or fail) before the group is left.
      await loaded.catch(() => undefined);
      await consumer.close().catch(() => undefined);
    }
  };

  /** Problems of the log or of a server that may pass: worth leaving the group and joining again. */
  const rejoinable = (e: unknown): boolean =>
    isFareboxError(e) && (e.code === 'log_io' || e.code === 'log_group_active' || e.retriable);

  return {
    stats: () => stats,
    async run(signal) {
      let failingSince: number | undefined;
      for (let attempt = 1; ; attempt++) {
        const batches = stats.batches;
        try {
          await runMember(signal);
          return;
        } catch (e) {
          if (signal.aborted || !rejoinable(e)) throw e;
          if (stats.batches > batches || failingSince === undefined) {
            failingSince = Date.now();
            attempt = 1;
          }
          if (Date.now() - failingSince > config.retrySeconds * 1000) throw e;
          deps.onRetry?.('consume from the log', attempt, e as Error);
          await sleep(Math.min(500 * 2 ** attempt, 5000), signal);
        }
      }
    },
  };
}
