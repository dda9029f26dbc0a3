/** Per event type: produced (log end offsets), loaded and dead-lettered (load ledger), consumer lag. */
import { contracts, eventTypes, type EventType } from '../contracts/index.ts';
import type { EventLog } from '../log/index.ts';
import type { Warehouse } from './connection.ts';

export interface TypeStatus {
  type: EventType;
  topic: string;
  produced: number;
  loaded: number;
  deadLettered: number;
  lag: number;
}

export interface PipelineStatus {
  types: TypeStatus[];
  totals: Omit<TypeStatus, 'type' | 'topic'>;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export async function collectStatus(
  log: EventLog,
  warehouse: Warehouse,
  group: string,
): Promise<PipelineStatus> {
  const result = await warehouse.client.query({
    query:
      'SELECT topic, sum(loaded) AS loaded, sum(dead_lettered) AS dead FROM load_ledger FINAL GROUP BY topic',
    format: 'JSONEachRow',
  });
  const ledger = new Map(
    (await result.json<{ topic: string; loaded: string; dead: string }>()).map((r) => [r.topic, r]),
  );
  const types: TypeStatus[] = [];
  for (const type of eventTypes) {
    const topic = contracts[type].topic;
    const end = await log.endOffsets(topic);
    const committed = await log.committedOffsets(group, topic);
    const row = ledger.get(topic);
    types.push({
      type,
      topic,
      produced: sum(end),
      loaded: Number(row?.loaded ?? 0),
      deadLettered: Number(row?.dead ?? 0),
      lag: sum(end.map((e, i) => Math.max(0, e - (committed[i] ?? 0)))),
    });
  }
  const totals = {
    produced: sum(types.map((t) => t.produced)),
    loaded: sum(types.map((t) => t.loaded)),
    deadLettered: sum(types.map((t) => t.deadLettered)),
    lag: sum(types.map((t) => t.lag)),
  };
  return { types, totals };
}
