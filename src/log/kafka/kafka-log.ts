/**
 * The event log on Apache Kafka (or any Kafka-protocol broker), through @platformatic/kafka: topics with
 * their retention and cleanup policy, an idempotent acks=all producer partitioning keys like Kafka's Java
 * client, offsets, and consumer groups whose members commit by hand.
 */
import { Admin, ListOffsetTimestamps, ProduceAcks, Producer } from '@platformatic/kafka';
import { FareboxError } from '../../errors/index.ts';
import type { EventLog, LogConsumer, PartitionOffset } from '../types.ts';
import { createKafkaConsumer } from './consumer.ts';
import { hasKafkaError, kafkaCall, toLogError } from './errors.ts';
import { clientOptions, type KafkaLogConfig } from './options.ts';
import { createProduce } from './produce.ts';
import { createTopicIndex } from './topics.ts';

export type { KafkaLogConfig } from './options.ts';

export async function createKafkaLog(config: KafkaLogConfig): Promise<EventLog> {
  const client = clientOptions(config);
  const admin = new Admin(client);
  // Idempotent: the broker drops a batch it already wrote when the client retries it, so retrying after a
  // timeout or a lost connection neither duplicates nor reorders records.
  const producer = new Producer({ ...client, idempotent: true, acks: ProduceAcks.ALL });
  const topics = createTopicIndex(admin, { replicationFactor: config.replicationFactor });
  const consumers = new Set<LogConsumer>();
  const closeClients = async (): Promise<void> => {
    await producer.close();
    await admin.close();
  };

  try {
    await topics.list();
  } catch (e) {
    await closeClients().catch(() => undefined);
    throw new FareboxError('log_io', `cannot reach Kafka at ${config.brokers.join(',')}`, {
      cause: e,
      retriable: e instanceof FareboxError && e.retriable,
      where: 'FAREBOX_LOG',
      hint: 'check that the brokers run and that their advertised listeners are reachable from here',
    });
  }

  const offsetsAt = async (topic: string, timestamp: bigint): Promise<number[]> => {
    const n = await topics.partitionCount(topic);
    const listed = await kafkaCall(`list the offsets of topic '${topic}'`, () =>
      admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: Array.from({ length: n }, (_, p) => ({ partitionIndex: p, timestamp })),
          },
        ],
      }),
    );
    const offsets = new Array<number>(n).fill(0);
    for (const t of listed) for (const p of t.partitions) offsets[p.partitionIndex] = Number(p.offset);
    return offsets;
  };

  return {
    kind: 'kafka',
    ensureTopic: (spec) => topics.ensure(spec),
    listTopics: () => topics.list(),
    partitionCount: (topic) => topics.partitionCount(topic),
    produce: createProduce(producer, topics),
    startOffsets: (topic) => offsetsAt(topic, ListOffsetTimestamps.EARLIEST),
    endOffsets: (topic) => offsetsAt(topic, ListOffsetTimestamps.LATEST),
    async committedOffsets(group, topic) {
      const start = await offsetsAt(topic, ListOffsetTimestamps.EARLIEST);
      const [listed] = await kafkaCall(`read the committed offsets of group '${group}'`, () =>
        admin.listConsumerGroupOffsets({
          groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: start.map((_, p) => p) }] }],
        }),
      );
      const committed = new Map(
        (listed?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
          p.partitionIndex,
          Number(p.committedOffset),
        ]),
      );
      // Nothing committed reads -1; an offset retention has since deleted reads as the first one kept.
      return start.map((first, p) => Math.max(first, committed.get(p) ?? -1));
    },
    async commitOffsets(group, offsets) {
      const byTopic = new Map<string, PartitionOffset[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      if (byTopic.size === 0) return;
      try {
        await admin.alterConsumerGroupOffsets({
          groupId: group,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitionOffsets: list.map((o) => ({ partition: o.partition, offset: BigInt(o.offset) })),
          })),
        });
      } catch (e) {
        const error = toLogError(`commit offsets of group '${group}'`, e);
        // Kafka accepts commits from outside a group only while it has no members.
        if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID'))
          throw new FareboxError('log_group_active', `${error.message}: the group has active members`, {
            cause: e,
            retriable: true,
            hint: "move offsets before the group's consumers start, or commit from a member (LogConsumer.commit)",
          });
        throw error;
      }
    },
    async consumer(options) {
      for (const t of options.topics) await topics.require(t);
      const member = await createKafkaConsumer(options, { client });
      consumers.add(member);
      return {
        ...member,
        async close() {
          consumers.delete(member);
          await member.close();
        },
      };
    },
    async close() {
      for (const c of consumers) await c.close().catch(() => undefined);
      consumers.clear();
      await closeClients();
    },
  };
}
