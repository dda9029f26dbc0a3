/** produce(): partitions chosen here (Kafka's murmur2), sent by an idempotent acks=all producer. */
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { FareboxError } from '../../errors/index.ts';
import { partitionFor } from '../murmur2.ts';
import type { LogRecord, ProducedRecord } from '../types.ts';
import { kafkaCall } from './errors.ts';
import type { TopicIndex } from './topics.ts';

/**
 * Records go out in requests of about this many bytes: one request holds one batch per partition, and the
 * broker refuses a batch over message.max.bytes (1 MiB by default). Claim-checked messages stay below it.
 */
const maxRequestBytes = 768 * 1024;
/** Per-record overhead in a batch (lengths, deltas, attributes), roughly. */
const recordOverhead = 24;

const sizeOf = (r: LogRecord): number =>
  recordOverhead +
  (r.key?.length ?? 0) +
  r.value.length +
  Object.entries(r.headers ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

function toMessage(topic: string, partition: number, r: LogRecord): MessageToProduce {
  const headers = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(r.headers ?? {})) headers.set(Buffer.from(k), Buffer.from(v));
  return {
    topic,
    partition,
    value: r.value,
    headers,
    timestamp: BigInt(Math.round(r.timestamp ?? Date.now())),
    ...(r.key === null ? {} : { key: r.key }),
  };
}

export function createProduce(producer: Producer, topics: TopicIndex) {
  const nextNullKeyPartition = new Map<string, number>();

  return async (topic: string, records: LogRecord[]): Promise<ProducedRecord[]> => {
    await topics.require(topic);
    if (records.length === 0) return [];
    // The producer's own metadata, so the partition count is the one it sends with.
    const meta = await kafkaCall(`read the metadata of topic '${topic}'`, () =>
      producer.metadata({ topics: [topic] }),
    );
    const n = meta.topics.get(topic)?.partitionsCount ?? 1;
    // Records without a key go to one partition per call, the next one each call (like Kafka's sticky
    // partitioner): batches stay large and the load spreads over the partitions.
    const nullKeyPartition = (nextNullKeyPartition.get(topic) ?? 0) % n;
    nextNullKeyPartition.set(topic, nullKeyPartition + 1);
    const partitions = records.map((r) => (r.key === null ? nullKeyPartition : partitionFor(r.key, n)));

    const acks: ProducedRecord[] = [];
    // One request after the other, so a failure leaves no later record written before an earlier one.
    for (const [start, end] of ranges(records)) {
      const result = await kafkaCall(`produce to topic '${topic}'`, () =>
        producer.send({
          messages: records.slice(start, end).map((r, j) => toMessage(topic, partitions[start + j] ?? 0, r)),
        }),
      );
      // The broker answers with the offset of the first record of each partition's batch; the batch
      // keeps the order of the request, so the k-th record for a partition is at that offset + k.
      const base = new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]));
      const seen = new Map<number, number>();
      for (let i = start; i < end; i++) {
        const partition = partitions[i] ?? 0;
        const first = base.get(partition);
        if (first === undefined)
          throw new FareboxError('log_io', `the broker acknowledged nothing for ${topic}/${partition}`);
        const k = seen.get(partition) ?? 0;
        seen.set(partition, k + 1);
        acks.push({ topic, partition, offset: first + k });
      }
    }
    return acks;
  };
}

/** [start, end) index ranges covering the records in order, each about maxRequestBytes at most. */
function ranges(records: LogRecord[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  records.forEach((r, i) => {
    const size = sizeOf(r);
    if (i > start && bytes + size > maxRequestBytes) {
      out.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  });
  out.push([start, records.length]);
  return out;
}
