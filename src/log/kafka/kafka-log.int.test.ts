/** The Kafka event log against a real broker: the shared contract, then what only Kafka has. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, ConfigResourceTypes, Consumer, producerSendsChannel } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFareboxError } from '../../errors/index.ts';
import { describeEventLogContract } from '../contract-suite.ts';
import type { EventLog, LogConsumer, PartitionOffset, TopicPartition, TopicSpec } from '../types.ts';
import { endpoints } from '../../../test/services.ts';
import { createKafkaLog, type KafkaLogConfig } from './kafka-log.ts';

const broker = endpoints().kafka;

const config: KafkaLogConfig = {
  kind: 'kafka',
  brokers: [broker],
  clientId: 'farebox-test',
  partitions: 1,
  replicationFactor: 1,
  retentionMs: undefined,
  retentionBytes: undefined,
};

/** The log, recording the topics and groups it creates so that they can be deleted after the tests. */
async function openLog(): Promise<{ log: EventLog; cleanup: () => Promise<void> }> {
  const topics = new Set<string>();
  const groups = new Set<string>();
  const log = await createKafkaLog(config);
  const tracked: EventLog = {
    ...log,
    ensureTopic: (spec) => {
      topics.add(spec.name);
      return log.ensureTopic(spec);
    },
    consumer: (options) => {
      groups.add(options.group);
      return log.consumer(options);
    },
    commitOffsets: (group, offsets) => {
      groups.add(group);
      return log.commitOffsets(group, offsets);
    },
  };
  const cleanup = async (): Promise<void> => {
    const admin = new Admin({ clientId: 'farebox-test-cleanup', bootstrapBrokers: [broker] });
    const existing = new Set(await admin.listTopics());
    const created = [...topics].filter((t) => existing.has(t));
    if (created.length > 0) await admin.deleteTopics({ topics: created });
    const live = await admin.listGroups();
    const ours = [...groups].filter((g) => live.has(g));
    if (ours.length > 0) await admin.deleteGroups({ groups: ours });
    await admin.close();
  };
  return { log: tracked, cleanup };
}

describeEventLogContract('kafka', openLog);

describe('kafka event log', () => {
  let log: EventLog;
  let cleanup: () => Promise<void>;
  let admin: Admin;
  const topic = async (spec: Omit<TopicSpec, 'name'> = { partitions: 1 }): Promise<string> => {
    const name = `k-${randomUUID()}`;
    await log.ensureTopic({ name, ...spec });
    return name;
  };
  beforeAll(async () => {
    ({ log, cleanup } = await openLog());
    admin = new Admin({ clientId: 'farebox-test-admin', bootstrapBrokers: [broker] });
  });
  afterAll(async () => {
    await admin.close();
    await log.close();
    await cleanup();
  });

  it('creates topics with the retention, cleanup policy and replication of their spec', async () => {
    const configs = async (name: string): Promise<Record<string, string | null | undefined>> => {
      const [described] = await admin.describeConfigs({
        resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }],
      });
      return Object.fromEntries((described?.configs ?? []).map((c) => [c.name, c.value]));
    };
    const compacted = await topic({
      partitions: 2,
      retentionMs: 3_600_000,
      retentionBytes: 1_000_000,
      cleanupPolicy: 'compact',
      replicationFactor: 1,
    });
    expect(await configs(compacted)).toMatchObject({
      'cleanup.policy': 'compact',
      'retention.ms': '3600000',
      'retention.bytes': '1000000',
    });
    const meta = await admin.metadata({ topics: [compacted] });
    expect(meta.topics.get(compacted)?.partitions.map((p) => p.replicas.length)).toEqual([1, 1]);
    // No retention in the spec keeps forever, whatever the broker's default (7 days unless changed).
    expect(await configs(await topic())).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
    });
  });

  it('accepts an existing topic, but not one with fewer partitions than asked', async () => {
    const name = await topic({ partitions: 2 });
    await log.ensureTopic({ name, partitions: 1 });
    await expect(log.ensureTopic({ name, partitions: 4 })).rejects.toSatisfy(
      (e) => isFareboxError(e, 'config_invalid') && /2 partitions, fewer than the 4/.test(e.message),
    );
  });

  it('sends with acks=all from an idempotent producer (a producer id and sequence on every batch)', async () => {
    const name = await topic();
    // platformatic reports every send, with its final options, on a diagnostics channel.
    const sent: unknown[] = [];
    const onSent = (ctx: unknown): void => void sent.push({ ...(ctx as { options: object }).options });
    producerSendsChannel.asyncEnd.subscribe(onSent);
    await log.produce(name, [{ key: Buffer.from('k'), value: Buffer.from('v') }]);
    producerSendsChannel.asyncEnd.unsubscribe(onSent);
    expect(sent).toEqual([expect.objectContaining({ acks: -1, idempotent: true })]);

    const raw = new Consumer({ clientId: 'farebox-test-raw', bootstrapBrokers: [broker], groupId: 'unused' });
    const info = (await raw.metadata({ topics: [name] })).topics.get(name);
    const response = await raw.fetch({
      node: info?.partitions[0]?.leader ?? 1,
      topics: [
        {
          topicId: info?.id ?? '',
          partitions: [
            {
              partition: 0,
              fetchOffset: 0n,
              partitionMaxBytes: 1 << 20,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    });
    await raw.close();
    const batch = response.responses[0]?.partitions[0]?.records?.[0];
    expect(batch?.producerId).toBeGreaterThanOrEqual(0n);
    expect(batch?.firstSequence).toBe(0);
  });

  it('sends a large produce in several requests, acknowledging every record at its offset', async () => {
    const name = await topic({ partitions: 2 });
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: Buffer.from(`k${i % 7}`),
      value: Buffer.concat([Buffer.from(`${i}:`), Buffer.alloc(10_000)]),
    }));
    const acks = await log.produce(name, records);
    const c = await log.consumer({ group: `g-${randomUUID()}`, topics: [name] });
    const at = new Map<string, string>();
    for (let i = 0; i < 100 && at.size < 300; i++)
      for (const r of await c.poll({ maxRecords: 1000, timeoutMs: 200 }))
        at.set(`${r.partition}/${r.offset}`, r.value.toString().split(':')[0] ?? '');
    await c.close();
    expect(acks.map((a) => at.get(`${a.partition}/${a.offset}`))).toEqual(records.map((_, i) => String(i)));
    // A single record over the broker's message.max.bytes is refused for good.
    await expect(log.produce(name, [{ key: null, value: Buffer.alloc(2 << 20) }])).rejects.toSatisfy(
      (e) =>
        isFareboxError(e, 'log_io') &&
        !e.retriable &&
        /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/.test(e.message),
    );
  });

  it('awaits onPartitionsRevoked before another member gets the partitions, and drops what it buffered', async () => {
    const name = await topic({ partitions: 4 });
    const group = `g-${randomUUID()}`;
    await log.produce(
      name,
      Array.from({ length: 40 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(String(i)) })),
    );
    const returned: string[] = [];
    const events: string[] = [];
    let revoked: TopicPartition[] = [];
    let committed: PartitionOffset[] = [];
    const a: LogConsumer = await log.consumer({
      group,
      topics: [name],
      onPartitionsRevoked: async (partitions) => {
        events.push('revoking');
        revoked = partitions;
        await sleep(1000); // a slow flush: the group waits for it
        await a.commit(committed);
        events.push('revoked');
      },
    });
    const first = await a.poll({ maxRecords: 3, timeoutMs: 10_000 });
    returned.push(...first.map((r) => r.value.toString()));
    committed = first.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset + 1 }));
    expect(first).toHaveLength(3);
    const generation = a.generation();

    const b = await log.consumer({ group, topics: [name] });
    events.push('b joined');
    expect(events).toEqual(['revoking', 'revoked', 'b joined']);
    expect(revoked).toHaveLength(4);
    // Records a polled before it joined again are no longer its to commit: a sink tells by the generation.
    expect(a.generation()).toBeGreaterThan(generation);
    // a fetched all 40 records but returned 3: the other 37 come once, from whichever member owns them now.
    const deadline = Date.now() + 30_000;
    while (returned.length < 40 && Date.now() < deadline)
      for (const c of [a, b])
        returned.push(...(await c.poll({ maxRecords: 100, timeoutMs: 100 })).map((r) => r.value.toString()));
    await a.close();
    await b.close();
    expect(returned.sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 40 }, (_, i) => String(i)),
    );
  });

  it('moves the offsets of an idle group, and says why it cannot while the group has members', async () => {
    const name = await topic({ partitions: 2 });
    const group = `g-${randomUUID()}`;
    await log.produce(
      name,
      Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) })),
    );
    const p = (await log.endOffsets(name)).findIndex((end) => end === 5);
    expect(await log.committedOffsets(group, name)).toEqual([0, 0]);
    await log.commitOffsets(group, [{ topic: name, partition: p, offset: 3 }]);
    expect((await log.committedOffsets(group, name))[p]).toBe(3);
    const c = await log.consumer({ group, topics: [name] });
    const got = await c.poll({ maxRecords: 10, timeoutMs: 10_000 });
    expect(got.map((r) => r.value.toString())).toEqual(['3', '4']);
    await expect(log.commitOffsets(group, [{ topic: name, partition: p, offset: 4 }])).rejects.toSatisfy(
      (e) => isFareboxError(e, 'log_group_active') && /active members/.test(e.message),
    );
    await c.close();
  });

  it('reports an unreachable broker as a retriable log_io error, and a closed log as a final one', async () => {
    const error = await createKafkaLog({ ...config, brokers: ['127.0.0.1:1'] }).catch((e: unknown) => e);
    expect(error).toSatisfy((e) => isFareboxError(e, 'log_io') && e.retriable && e.cause instanceof Error);
    const closed = await createKafkaLog(config);
    await closed.close();
    await expect(closed.listTopics()).rejects.toSatisfy((e) => isFareboxError(e, 'log_io') && !e.retriable);
  });
});
