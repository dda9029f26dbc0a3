/**
 * A consumer-group member with a pull-style poll(). platformatic's Consumer runs the group protocol (join,
 * sync, heartbeats, eager round-robin assignment, commits); farebox keeps the read positions and fetches by
 * itself rather than through consume()'s stream, because a stream keeps its own positions across a
 * rebalance: what it had fetched for a revoked partition, and farebox dropped, would then be skipped.
 */
import { ConnectionPool, Consumer, type BaseOptions, type GroupAssignment } from '@platformatic/kafka';
import { wrapError, type FareboxError } from '../../errors/index.ts';
import type { ConsumedRecord, ConsumerOptions, LogConsumer, TopicPartition } from '../types.ts';
import { hasKafkaError, kafkaCall, toLogError } from './errors.ts';
import { earliestPositions, keyOf, readResponse, startPositions } from './fetch.ts';
import { createWakeup } from './wakeup.ts';

/** A fetch waits at most this long for records; poll() fetches again while its own timeout lasts. */
const maxFetchWaitMs = 1000;
const fetchMaxBytes = 16 * 1024 * 1024;
const partitionMaxBytes = 4 * 1024 * 1024;

export async function createKafkaConsumer(
  options: ConsumerOptions,
  deps: { client: BaseOptions },
): Promise<LogConsumer> {
  const { group } = options;
  /** What this member owns, and the next offset to read of each partition once known. */
  let assigned: TopicPartition[] = [];
  let unread: GroupAssignment[] = [];
  let positions = new Map<string, bigint>();
  let buffer: ConsumedRecord[] = [];
  /** Bumped whenever the assignment changes: a fetch started in an older generation is thrown away. */
  let generation = 0;
  /** Joins of the group (or the loss of it): positions restart from the committed offsets after each. */
  let joins = 0;
  /** Reported by the next poll(), once. */
  let failure: FareboxError | undefined;
  /** Reported by every call: the member lost the group for good. */
  let dead: FareboxError | undefined;
  let closed = false;
  const fetching = new Set<number>();
  const wakeup = createWakeup();

  const reset = (next: TopicPartition[], toRead: GroupAssignment[]): void => {
    assigned = next;
    unread = toRead;
    positions = new Map();
    buffer = [];
    generation++;
    wakeup.wake();
  };

  // platformatic calls this before every JoinGroup request. Under the eager protocol a rejoining member
  // gives up all its partitions, so this is the moment to revoke them, and the group waits for it. A
  // commit made by the callback may itself rejoin (a nested call): the loop revokes what that assigned.
  const revokeAll = async (): Promise<Buffer> => {
    while (assigned.length > 0) {
      const revoked = assigned;
      reset([], []);
      if (options.onPartitionsRevoked === undefined || closed) continue;
      await options.onPartitionsRevoked(revoked).catch((e: unknown) => {
        failure ??= wrapError('internal', 'onPartitionsRevoked failed', e);
      });
    }
    return Buffer.alloc(0);
  };

  const consumer = new Consumer({
    ...deps.client,
    groupId: group,
    autocommit: false,
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 1_000,
    protocolsMetadata: revokeAll,
  });
  // Fetches wait on the broker; on their own connections they never hold up heartbeats and commits.
  const fetchPool = new ConnectionPool(deps.client.clientId);

  consumer.on('consumer:group:join', ({ assignments = [] }) => {
    joins++;
    const next = assignments.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
    reset(
      next.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
      assignments,
    );
  });
  // Emitted when a rejoin failed for good: platformatic stops heartbeating, so the partitions are lost.
  consumer.on('error', (e: unknown) => {
    dead ??= toLogError(`consumer of group '${group}' left the group`, e);
    joins++;
    reset([], []);
  });

  const readPositions = async (): Promise<void> => {
    if (unread.length === 0) return;
    const gen = generation;
    const read = await kafkaCall(`read the committed offsets of group '${group}'`, () =>
      startPositions(consumer, unread),
    );
    if (gen !== generation) return;
    positions = read;
    unread = [];
  };

  const fetchFrom = async (
    node: number,
    requested: Map<string, bigint>,
    topicIds: Map<string, string>,
    waitMs: number,
  ) => {
    const gen = generation;
    const topicNames = new Map([...topicIds].map(([name, id]) => [id, name]));
    const byTopic = new Map<string, { partition: number; fetchOffset: bigint }[]>();
    for (const [key, fetchOffset] of requested) {
      const cut = key.lastIndexOf('/');
      const topic = key.slice(0, cut);
      const list = byTopic.get(topic) ?? [];
      list.push({ partition: Number(key.slice(cut + 1)), fetchOffset });
      byTopic.set(topic, list);
    }
    try {
      const response = await consumer.fetch({
        node,
        connectionPool: fetchPool,
        maxWaitTime: waitMs,
        maxBytes: fetchMaxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({
          topicId: topicIds.get(topic) ?? topic,
          partitions: partitions.map((p) => ({
            ...p,
            partitionMaxBytes,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        })),
      });
      if (gen !== generation || closed) return;
      const { records, next } = readResponse(response, topicNames, requested);
      for (const r of records) buffer.push(r);
      for (const [key, offset] of next)
        if (positions.get(key) === requested.get(key)) positions.set(key, offset);
    } catch (e) {
      if (gen !== generation || closed) return;
      // Retention deleted records before they were read (or the topic was recreated): start over from the
      // earliest record still kept, as Kafka's auto.offset.reset=earliest does.
      if (hasKafkaError(e, 'OFFSET_OUT_OF_RANGE')) {
        const partitions = Object.fromEntries([...byTopic].map(([t, ps]) => [t, ps.map((p) => p.partition)]));
        try {
          const earliest = await earliestPositions(consumer, partitions);
          if (gen === generation) for (const [key, offset] of earliest) positions.set(key, offset);
        } catch (again) {
          failure ??= toLogError(`find the earliest offsets for group '${group}'`, again);
        }
      } else failure ??= toLogError(`fetch records for group '${group}'`, e);
    } finally {
      fetching.delete(node);
      wakeup.wake();
    }
  };

  /** Starts a fetch from each partition leader that has none under way. */
  const startFetches = async (waitMs: number): Promise<void> => {
    const gen = generation;
    const readable = assigned.filter((tp) => positions.has(keyOf(tp.topic, tp.partition)));
    if (readable.length === 0) return;
    const meta = await kafkaCall('read topic metadata', () =>
      consumer.metadata({ topics: [...new Set(readable.map((tp) => tp.topic))] }),
    );
    if (gen !== generation) return;
    const byNode = new Map<number, Map<string, bigint>>();
    const topicIds = new Map<string, string>();
    for (const { topic, partition } of readable) {
      const info = meta.topics.get(topic);
      const leader = info?.partitions[partition]?.leader ?? -1;
      const position = positions.get(keyOf(topic, partition));
      if (info === undefined || leader < 0 || fetching.has(leader) || position === undefined) continue;
      topicIds.set(topic, info.id);
      const requested = byNode.get(leader) ?? new Map<string, bigint>();
      requested.set(keyOf(topic, partition), position);
      byNode.set(leader, requested);
    }
    for (const [node, requested] of byNode) {
      fetching.add(node);
      void fetchFrom(node, requested, topicIds, waitMs);
    }
  };

  consumer.topics.trackAll(...options.topics);
  try {
    await consumer.joinGroup();
    await readPositions();
  } catch (e) {
    await consumer.close().catch(() => undefined);
    await fetchPool.close();
    throw toLogError(`join consumer group '${group}'`, e);
  }

  return {
    async poll({ maxRecords, timeoutMs }) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (dead !== undefined) throw dead;
        if (failure !== undefined) {
          const f = failure;
          failure = undefined;
          throw f;
        }
        if (buffer.length > 0) return buffer.splice(0, maxRecords);
        if (closed) return [];
        const left = deadline - Date.now();
        await readPositions();
        // Even a poll whose time is up starts fetches, so that polling with timeoutMs 0 gets records too.
        await startFetches(Math.max(0, Math.min(left, maxFetchWaitMs)));
        if (buffer.length > 0 || failure !== undefined) continue;
        if (left <= 0) return [];
        await wakeup.wait(left);
      }
    },
    async commit(offsets) {
      if (dead !== undefined) throw dead;
      if (offsets.length === 0) return;
      await kafkaCall(`commit offsets of group '${group}'`, () =>
        consumer.commit({
          offsets: offsets.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: BigInt(o.offset),
            leaderEpoch: -1,
          })),
        }),
      );
    },
    assignment: () => [...assigned],
    generation: () => joins,
    async close() {
      if (closed) return;
      closed = true;
      reset([], []);
      try {
        await kafkaCall(`leave consumer group '${group}'`, () => consumer.close());
      } finally {
        await fetchPool.close();
      }
    },
  };
}
