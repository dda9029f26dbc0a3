/** Topics on the brokers: created from a TopicSpec, looked up by name (a missing one is 'topic_unknown'). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, CreateTopicsOptions } from '@platformatic/kafka';
import { closest, FareboxError } from '../../errors/index.ts';
import type { TopicSpec } from '../types.ts';
import { hasKafkaError, isRetriable, isUnknownTopic, kafkaCall, toLogError } from './errors.ts';

export interface TopicIndex {
  ensure(spec: TopicSpec): Promise<void>;
  list(): Promise<string[]>;
  /** Throws 'topic_unknown' (naming the closest existing topic) unless the topic exists. */
  require(name: string): Promise<void>;
  partitionCount(name: string): Promise<number>;
}

/** Undefined retention keeps forever, as TopicSpec says, whatever the broker's defaults are. */
export function topicConfigs(spec: TopicSpec): NonNullable<CreateTopicsOptions['configs']> {
  return [
    { name: 'cleanup.policy', value: spec.cleanupPolicy ?? 'delete' },
    { name: 'retention.ms', value: String(spec.retentionMs ?? -1) },
    { name: 'retention.bytes', value: String(spec.retentionBytes ?? -1) },
  ];
}

const leaderWaitMs = 30_000;

export function createTopicIndex(admin: Admin, defaults: { replicationFactor: number }): TopicIndex {
  const known = new Set<string>();

  const list = async (): Promise<string[]> => {
    const names = await kafkaCall('list topics', () => admin.listTopics());
    for (const n of names) known.add(n);
    return names;
  };

  /** A new topic is usable once every partition has a leader; until then produce and fetch fail. */
  const waitForLeaders = async (name: string): Promise<number> => {
    const deadline = Date.now() + leaderWaitMs;
    for (;;) {
      try {
        const meta = await admin.metadata({ topics: [name], forceUpdate: true, retries: 0 });
        const topic = meta.topics.get(name);
        if (topic !== undefined && topic.partitions.every((p) => p.leader >= 0)) return topic.partitionsCount;
      } catch (e) {
        if (!(isRetriable(e) || isUnknownTopic(e)) || Date.now() > deadline)
          throw toLogError(`wait for topic '${name}'`, e);
      }
      if (Date.now() > deadline)
        throw new FareboxError('log_io', `topic '${name}' still lacks a partition leader after 30 s`, {
          retriable: true,
        });
      await sleep(100);
    }
  };

  const requireTopic = async (name: string): Promise<void> => {
    if (known.has(name) || (await list()).includes(name)) return;
    const near = closest(name, [...known]);
    throw new FareboxError('topic_unknown', `topic '${name}' does not exist`, {
      hint:
        near === undefined ? `topics: ${[...known].sort().join(', ') || 'none'}` : `did you mean '${near}'?`,
    });
  };

  return {
    list,
    require: requireTopic,
    async partitionCount(name) {
      await requireTopic(name);
      const meta = await kafkaCall(`read the metadata of topic '${name}'`, () =>
        admin.metadata({ topics: [name] }),
      );
      return meta.topics.get(name)?.partitionsCount ?? 0;
    },
    async ensure(spec) {
      if (!/^[\w.-]{1,249}$/.test(spec.name))
        throw new FareboxError('topic_unknown', `'${spec.name}' is not a valid topic name`, {
          hint: 'use letters, digits, . _ and - (at most 249)',
        });
      try {
        await admin.createTopics({
          topics: [
            {
              topic: spec.name,
              partitions: spec.partitions,
              replicas: spec.replicationFactor ?? defaults.replicationFactor,
            },
          ],
          configs: topicConfigs(spec),
        });
      } catch (e) {
        // An existing topic is fine (ensureTopic is idempotent); its settings are left as they are.
        if (!hasKafkaError(e, 'TOPIC_ALREADY_EXISTS')) throw toLogError(`create topic '${spec.name}'`, e);
      }
      const partitions = await waitForLeaders(spec.name);
      // Adding partitions would move keys to other partitions and break per-key order, so that stays a
      // deliberate act for an operator rather than a side effect of a configuration change.
      if (partitions < spec.partitions)
        throw new FareboxError(
          'config_invalid',
          `topic '${spec.name}' exists with ${partitions} partitions, fewer than the ${spec.partitions} asked for`,
          {
            hint: `use ${partitions} partitions (FAREBOX_PARTITIONS), or add partitions with kafka-topics.sh --alter --partitions ${spec.partitions} knowing that keys then move to other partitions`,
          },
        );
      known.add(spec.name);
    },
  };
}
