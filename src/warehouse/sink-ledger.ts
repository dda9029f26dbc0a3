/** The sink's bookkeeping: ledger rows and offset ranges, catching up to the ledger, retries. */
import { sqlString } from './dialect.ts';
import type { Warehouse } from './connection.ts';
import { isFareboxError, wrapError } from '../errors/index.ts';
import type { ConsumedRecord, EventLog, PartitionOffset } from '../log/index.ts';
import { encodeObjects, type DeadLetter } from '../preload/index.ts';

/** Offsets a batch made durable, passed to onBatch. */
export interface CommittedRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
}

export interface Range extends CommittedRange {
  loaded: number;
  dead: number;
}

export const deadLetterColumns = [
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
export const ledgerColumns = [
  'topic',
  'partition',
  'first_offset',
  'last_offset',
  'loaded',
  'dead_lettered',
  'loaded_at',
] as const;

export const nowText = (): string => new Date().toISOString().replace('T', ' ').slice(0, 23);
const encoder = new TextEncoder();
export const body = (columns: readonly string[], rows: readonly object[]): Uint8Array =>
  encoder.encode(encodeObjects(columns, rows));

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

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
export async function withRetry<T>(
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
export function rangesOf(records: readonly ConsumedRecord[], loaded: readonly boolean[]): Range[] {
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
