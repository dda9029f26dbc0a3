/**
 * Dead-letter replay: after a fix (a schema registered late, a cleaning rule corrected), dead letters are
 * sent back to the topic they came from, with their original bytes, key and headers, and the sink handles
 * them again: loaded this time, or dead-lettered again with the new reason. Each replay is recorded in
 * dead_letter_replays, so a dead letter is replayed once. The log grows by the replayed records, and the
 * ledger counts them too: loaded + dead-lettered = produced still holds.
 */
import type { EventLog } from '../log/index.ts';
import type { Warehouse } from './connection.ts';
import { sqlString } from './dialect.ts';
import { deadLetterReplays } from './tables.ts';

export interface ReplayFilter {
  /** decode, validate or clean; every stage when undefined. */
  stage?: string;
  /** An event type (trip_completed, …); every type when undefined. */
  eventType?: string;
  /** Only dead letters received at or after this time (ms since the epoch). */
  since?: number;
  /** Count what would be replayed, send nothing. */
  dryRun?: boolean;
  /** Replay dead letters that were themselves replays too (left out by default: they failed twice). */
  again?: boolean;
}

interface DeadRow {
  topic: string;
  partition: number | string;
  offset: number | string;
  raw_base64: string;
  key: string | null;
  headers: Record<string, string> | string;
}

const replayHeader = 'farebox-replay-of';

export async function replayDeadLetters(
  deps: { log: EventLog; warehouse: Warehouse },
  filter: ReplayFilter = {},
): Promise<{ replayed: number }> {
  const { log, warehouse } = deps;
  const where = [
    '(topic, partition, offset) NOT IN (SELECT topic, partition, offset FROM dead_letter_replays)',
    ...(filter.stage === undefined ? [] : [`stage = ${sqlString(filter.stage)}`]),
    ...(filter.eventType === undefined ? [] : [`event_type = ${sqlString(filter.eventType)}`]),
    ...(filter.since === undefined ? [] : [`received_at >= toDateTime64(${filter.since / 1000}, 3, 'UTC')`]),
  ];
  const result = await warehouse.client.query({
    query: `SELECT topic, partition, offset, raw_base64, key, headers FROM dead_letters FINAL
            WHERE ${where.join(' AND ')} ORDER BY topic, partition, offset`,
    format: 'JSONEachRow',
  });
  const headersOf = (r: DeadRow): Record<string, string> =>
    typeof r.headers === 'string' ? (JSON.parse(r.headers || '{}') as Record<string, string>) : r.headers;
  const rows = (await result.json<DeadRow>()).filter(
    (r) => filter.again === true || !(replayHeader in headersOf(r)),
  );
  if (filter.dryRun === true || rows.length === 0) return { replayed: rows.length };
  const byTopic = new Map<string, DeadRow[]>();
  for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  const replays: object[] = [];
  for (const [topic, list] of byTopic) {
    const produced = await log.produce(
      topic,
      list.map((r) => {
        const headers =
          typeof r.headers === 'string'
            ? (JSON.parse(r.headers || '{}') as Record<string, string>)
            : r.headers;
        return {
          key: r.key === null ? null : Buffer.from(r.key),
          value: Buffer.from(r.raw_base64, 'base64'),
          headers: { ...headers, [replayHeader]: `${r.topic}/${r.partition}/${r.offset}` },
        };
      }),
    );
    const at = new Date().toISOString().replace('T', ' ').slice(0, 23);
    list.forEach((r, i) =>
      replays.push([
        r.topic,
        Number(r.partition),
        Number(r.offset),
        at,
        produced[i]?.partition ?? 0,
        produced[i]?.offset ?? 0,
      ]),
    );
  }
  await warehouse.insertEncoded({
    table: deadLetterReplays.name,
    columns: deadLetterReplays.columns.map((c) => c.name),
    body: new TextEncoder().encode(replays.map((r) => JSON.stringify(r)).join('\n')),
  });
  return { replayed: rows.length };
}
