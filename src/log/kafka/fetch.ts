/** Reading partitions by hand: start positions of a new assignment, and records out of a fetch response. */
import { IS_CONTROL, ListOffsetTimestamps } from '@platformatic/kafka';
import type { Consumer, fetchV17, GroupAssignment, KafkaRecord } from '@platformatic/kafka';
import type { ConsumedRecord } from '../types.ts';

export const keyOf = (topic: string, partition: number): string => `${topic}/${partition}`;

/** The earliest offset still kept of each partition. */
export async function earliestPositions(
  consumer: Consumer,
  partitions: Record<string, number[]>,
): Promise<Map<string, bigint>> {
  const positions = new Map<string, bigint>();
  const topics = Object.keys(partitions);
  if (topics.length === 0) return positions;
  const earliest = await consumer.listOffsets({
    topics,
    partitions,
    timestamp: ListOffsetTimestamps.EARLIEST,
  });
  for (const topic of topics)
    for (const p of partitions[topic] ?? []) positions.set(keyOf(topic, p), earliest.get(topic)?.[p] ?? 0n);
  return positions;
}

/** Where each assigned partition starts: the group's committed offset, else the earliest one still kept. */
export async function startPositions(
  consumer: Consumer,
  assignments: GroupAssignment[],
): Promise<Map<string, bigint>> {
  const committed = await consumer.listCommittedOffsets({ topics: assignments });
  const found = new Map<string, bigint>();
  const uncommitted: Record<string, number[]> = {};
  for (const { topic, partitions } of assignments)
    for (const p of partitions) {
      const offset = committed.get(topic)?.[p] ?? -1n;
      if (offset >= 0n) found.set(keyOf(topic, p), offset);
      else (uncommitted[topic] ??= []).push(p);
    }
  return new Map([...found, ...(await earliestPositions(consumer, uncommitted))]);
}

function toConsumed(
  topic: string,
  partition: number,
  offset: bigint,
  timestamp: bigint,
  r: KafkaRecord,
): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of r.headers) if (k !== null) headers[k.toString()] = v?.toString() ?? '';
  return {
    topic,
    partition,
    offset: Number(offset),
    timestamp: Number(timestamp),
    key: r.key,
    // A null value (a tombstone written by another producer) reads as empty: farebox values are bytes.
    value: r.value ?? Buffer.alloc(0),
    headers,
  };
}

/**
 * The records of a fetch response, for the partitions asked at `requested` offsets, and the next offset of
 * each. Batches may start before the asked offset (a compressed batch is returned whole), and control
 * batches of transactions carry offsets but no records: both are skipped over.
 */
export function readResponse(
  response: fetchV17.FetchResponse,
  topicNames: Map<string, string>,
  requested: Map<string, bigint>,
): { records: ConsumedRecord[]; next: Map<string, bigint> } {
  const records: ConsumedRecord[] = [];
  const next = new Map<string, bigint>();
  for (const t of response.responses) {
    const topic = topicNames.get(t.topicId);
    if (topic === undefined) continue;
    for (const p of t.partitions) {
      const key = keyOf(topic, p.partitionIndex);
      const from = requested.get(key);
      // A fetch session may answer for partitions this request did not name: their data is not ours.
      if (from === undefined) continue;
      let position = from;
      for (const batch of p.records ?? []) {
        const after = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (after > position) position = after;
        if ((batch.attributes & IS_CONTROL) !== 0) continue;
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset >= from)
            records.push(
              toConsumed(topic, p.partitionIndex, offset, batch.firstTimestamp + r.timestampDelta, r),
            );
        }
      }
      next.set(key, position);
    }
  }
  return { records, next };
}
