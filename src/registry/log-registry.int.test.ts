/** The log-backed registry on a real Kafka broker: the registry contract, and two processes agreeing on ids. */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../../test/services.ts';
import { createEventLog, type EventLog } from '../log/index.ts';
import { describeRegistryContract } from './contract-suite.ts';
import { createLogRegistry } from './log-registry.ts';

const broker = endpoints().kafka;

/** A Kafka log (one client, like one process) remembering the groups it joins, for the cleanup. */
async function openLog(groups: Set<string>): Promise<EventLog> {
  const log = await createEventLog({
    kind: 'kafka',
    brokers: [broker],
    clientId: 'farebox-registry-test',
    partitions: 1,
    replicationFactor: 1,
    retentionMs: undefined,
    retentionBytes: undefined,
  });
  return {
    ...log,
    consumer: (options) => {
      groups.add(options.group);
      return log.consumer(options);
    },
  };
}

async function removeTopicAndGroups(topic: string, groups: Set<string>): Promise<void> {
  const admin = new Admin({ clientId: 'farebox-registry-test-cleanup', bootstrapBrokers: [broker] });
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  const live = await admin.listGroups();
  const ours = [...groups].filter((g) => live.has(g));
  if (ours.length > 0) await admin.deleteGroups({ groups: ours }).catch(() => undefined);
  await admin.close();
}

describeRegistryContract('log-backed (Kafka)', async () => {
  const topic = `_schemas-test-${randomUUID()}`;
  const groups = new Set<string>();
  const log = await openLog(groups);
  return {
    registry: await createLogRegistry({ topic }, { log }),
    cleanup: async () => {
      await log.close();
      await removeTopicAndGroups(topic, groups);
    },
  };
});

describe('log-backed registry on Kafka', () => {
  it('two processes sharing the topic agree on ids under concurrent registration', async () => {
    const topic = `_schemas-test-${randomUUID()}`;
    const groups = new Set<string>();
    const [logA, logB] = await Promise.all([openLog(groups), openLog(groups)]);
    const a = await createLogRegistry({ topic }, { log: logA });
    const b = await createLogRegistry({ topic }, { log: logB });
    const schema = (field: string) =>
      JSON.stringify({ type: 'object', properties: { [field]: { type: 'string' } }, required: [] });
    const fields = ['a', 'b', 'c', 'd'];
    const results = await Promise.all(
      fields.flatMap((f) => [
        a.register(`same-${f}-value`, schema(f)),
        b.register(`same-${f}-value`, schema(f)),
        a.register('shared-value', schema(`a_${f}`)),
        b.register('shared-value', schema(`b_${f}`)),
      ]),
    );
    for (let i = 0; i < fields.length; i++) expect(results[i * 4 + 1]).toEqual(results[i * 4]);
    expect(new Set(results.map((r) => r.id)).size).toBe(4 + 8);
    expect(await a.listVersions('shared-value')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const r of results) expect(await b.getById(r.id)).toEqual(await a.getById(r.id));
    await Promise.all([a.close(), b.close()]);
    await Promise.all([logA.close(), logB.close()]);
    await removeTopicAndGroups(topic, groups);
  });
});
